/* indirect-call: an activation chosen at run time through a pointer */
typedef float (*indirect_fn)(float);

static float indirect_relu(float v) { return v > 0.0f ? v : 0.0f; }

void indirect_forward(const float *in, float *out, indirect_fn act)
{
    out[0] = act(in[0]);
    out[1] = indirect_relu(in[1]);
}

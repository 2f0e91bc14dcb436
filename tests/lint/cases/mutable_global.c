/* mutable-global: tables that are only read but not declared const */
static float mutable_table[4] = { 0.0f, 0.25f, 0.5f, 0.75f };
const float *mutable_ptr = mutable_table;
const float mutable_ok[2] = { 1.0f, 2.0f };
const float *const mutable_ok_ptr = mutable_ok;

float mutable_lookup(int i)
{
    static const float bias = 0.5f;
    static float scale = 2.0f;
    return mutable_table[i & 3] * scale + mutable_ptr[0] + mutable_ok_ptr[1] + bias;
}

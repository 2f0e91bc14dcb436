/* Several files in one DIR: calls across files, same-named static functions,
 * a static inline helper in the shared header, extern declarations. */
#ifndef MULTI_H
#define MULTI_H

extern float multi_gain;             /* defined (non-const) in helpers.c */
extern const float multi_table[4];

float multi_helper(float v);
int multi_ping(int n);
int multi_pong(int n);
void multi_forward(const float *in, float *out);

static inline float multi_sq(float v)
{
    return v * v;
}

#endif

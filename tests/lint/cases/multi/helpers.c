#include "multi.h"

float multi_gain = 1.0f;
const float multi_table[4] = { 0.0f, 0.5f, 1.0f, 1.5f };

static float scale(float v)
{
    return v * 3.0f;
}

float multi_helper(float v)
{
    return multi_sq(scale(v)) + multi_table[1];
}

int multi_pong(int n)
{
    return n <= 0 ? 0 : multi_ping(n - 1);
}

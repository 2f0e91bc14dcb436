/* netc-lint.c — `netc-lint DIR ...`, the lint pass without the compiler driver,
 * so tests/lint can run before (and independently of) compiler/main.c. */
#include "lint.h"

int main(int argc, char **argv)
{
    argv[0] = "lint";
    return lint_main(argc, argv);
}

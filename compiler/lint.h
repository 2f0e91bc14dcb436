/* lint.h — `netc lint DIR`: prove that the C in DIR is fit for firmware.
 *
 * lint_main parses every .c in DIR with libclang, enforces the firmware rules
 * described at the top of lint.c (no heap, no libc beyond an allow-list, no
 * recursion, no VLAs, no double arithmetic, no writes to globals, const file-scope
 * data, no clang warnings) and measures static RAM, flash and the deepest stack.
 * argv[0] is "lint"; the return value is the process exit status: 0 clean,
 * 1 at least one breach, 2 usage or I/O error.  Link with
 *   -L/usr/lib/llvm-14/lib -lclang -Wl,-rpath,/usr/lib/llvm-14/lib
 */
#ifndef NETC_LINT_H
#define NETC_LINT_H

int lint_main(int argc, char **argv);

/* netc build --verify: lint `dir` (where the build staged its files) exactly as
 * `netc lint dir ARGV[1..]` would, argv holding only options (--max-ram N,
 * --max-stack N, ...); the report names the directory `shown`.  Same exit status. */
int lint_dir(const char *dir, const char *shown, int argc, char **argv);

#endif

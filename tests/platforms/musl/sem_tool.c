/* A C program that uses the C library's named semaphores directly, built
 * with musl-gcc by tests/platforms/musl/interop.sh:
 *   sem_tool create NAME VALUE | open NAME | post NAME | trywait NAME |
 *            value NAME | unlink NAME
 * Prints "ok" (value: the value) or "errno=<symbol>", exits 0 on "ok". */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(void) {
  const char* e = errno == ENOENT   ? "ENOENT"
                  : errno == EEXIST ? "EEXIST"
                  : errno == EAGAIN ? "EAGAIN"
                  : errno == EINVAL ? "EINVAL"
                  : errno == EACCES ? "EACCES"
                                    : "other";
  printf("errno=%s\n", e);
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sem_tool create|open|post|trywait|value|unlink NAME [VALUE]\n");
    return 2;
  }
  const char* cmd = argv[1];
  const char* name = argv[2];
  if (strcmp(cmd, "unlink") == 0) {
    if (sem_unlink(name) != 0) return fail();
    puts("ok");
    return 0;
  }
  sem_t* s = strcmp(cmd, "create") == 0
                 ? sem_open(name, O_CREAT | O_EXCL, 0600, (unsigned)atoi(argc > 3 ? argv[3] : "0"))
                 : sem_open(name, 0);
  if (s == SEM_FAILED) return fail();
  int v = 0;
  if (strcmp(cmd, "post") == 0 && sem_post(s) != 0) return fail();
  if (strcmp(cmd, "trywait") == 0 && sem_trywait(s) != 0) return fail();
  if (strcmp(cmd, "value") == 0) {
    if (sem_getvalue(s, &v) != 0) return fail();
    printf("%d\n", v);
    return 0;
  }
  puts("ok");
  return 0;
}

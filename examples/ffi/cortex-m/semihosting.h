/* ARM semihosting output and exit (startup.c). */
#ifndef SEMIHOSTING_H
#define SEMIHOSTING_H
void sh_puts(const char *s);
void sh_exit(int success) __attribute__((noreturn));
#endif

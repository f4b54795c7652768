/* ARM semihosting output and exit, and the stack's high-water mark (startup.c). */
#ifndef SEMIHOSTING_H
#define SEMIHOSTING_H
void sh_puts(const char *s);
void sh_exit(int success) __attribute__((noreturn));
/* Bytes between the end of .bss and the top of RAM (the stack's room). */
unsigned long stack_size(void);
/* Deepest stack use so far, in bytes (the stack is painted at reset). */
unsigned long stack_used(void);
#endif

/* Minimal Cortex-M3 startup and ARM semihosting for the C firmware: a vector
 * table, a reset handler that loads .data and zeroes .bss, and the two
 * semihosting calls the firmware needs (write a string, exit). */
#include <stdint.h>

#include "semihosting.h"

extern uint32_t _data_start, _data_end, _data_load, _bss_start, _bss_end, _stack_limit, _stack_top;

/* Written over the free stack at reset; what the program overwrites shows
 * how deep the stack went. */
#define PAINT 0x5ca1ab1eu
int main(void);

/* Semihosting: r0 = operation, r1 = argument, then `bkpt 0xab`. */
static int semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_puts(const char *s) { semihost(0x04 /* SYS_WRITE0 */, s); }

void sh_exit(int success) {
    /* SYS_EXIT: on 32-bit ARM r1 is the reason itself. QEMU exits 0 for
     * ADP_Stopped_ApplicationExit (0x20026), 1 for any other reason
     * (0x20023: ADP_Stopped_InternalError). */
    semihost(0x18, (const void *)(uintptr_t)(success ? 0x20026 : 0x20023));
    for (;;) __asm__ volatile("wfi");
}

void reset_handler(void) {
    uint32_t *src = &_data_load, *dst = &_data_start;
    while (dst < &_data_end) *dst++ = *src++;
    for (dst = &_bss_start; dst < &_bss_end; dst++) *dst = 0;
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (dst = &_stack_limit; dst < sp - 16; dst++) *dst = PAINT;
    sh_exit(main() == 0);
}

unsigned long stack_size(void) { return (unsigned long)((char *)&_stack_top - (char *)&_stack_limit); }

unsigned long stack_used(void) {
    const uint32_t *p = &_stack_limit;
    while (p < &_stack_top && *p == PAINT) p++;
    return (unsigned long)((const char *)&_stack_top - (const char *)p);
}

static void fault_handler(void) {
    sh_puts("FAIL  fault (hard fault, bus fault or the like)\n");
    sh_exit(0);
}

__attribute__((section(".vector_table"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_stack_top, reset_handler, fault_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler, fault_handler,
};

/* The Linux system calls the C library needs, served inside the kernel. */
#pragma once
void syscall_init(void);

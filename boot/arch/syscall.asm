; SYSCALL entry for code running in ring 0 (the C library issues Linux system calls).
; SYSCALL does not switch stacks, so the handler first steps below the caller's 128-byte
; red zone; it returns with popfq + jmp because SYSRET always drops to ring 3.
bits 64
extern syscall_dispatch
global syscall_entry

RED_ZONE equ 128

section .text
syscall_entry:
    lea rsp, [rsp - RED_ZONE]
    push r11                  ; caller's rflags
    push rcx                  ; caller's rip
    push rbx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    mov rbx, rsp
    and rsp, ~15
    ; syscall_dispatch(number, a0, a1, a2, a3, a4, a5 on the stack)
    sub rsp, 8
    push r9
    mov r9, r8
    mov r8, r10
    mov rcx, rdx
    mov rdx, rsi
    mov rsi, rdi
    mov rdi, rax
    call syscall_dispatch
    mov rsp, rbx
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rbx
    pop rcx
    pop r11
    push r11
    popfq
    lea rsp, [rsp + RED_ZONE]
    jmp rcx

section .note.GNU-stack noalloc noexec nowrite progbits

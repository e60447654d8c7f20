; Interrupt entry stubs. Exceptions save every register and call exception_handler (which
; never returns); other vectors save the caller-saved registers, call irq_handler(vector),
; which records the event and acknowledges it, and return. The NMI saves every register and the
; SSE state (the profiler samples through it, interrupting any code) and calls nmi_handler,
; which returns when the NMI was the profiler's.
bits 64
extern exception_handler, irq_handler, nmi_handler

FXSAVE_BYTES equ 512
global interrupt_stubs

%macro EXCEPTION_STUB 1
stub_%1:
%if %1 == 2
    push 0
    push %1
    jmp nmi_common
%elif (%1 == 8) || (%1 == 10) || (%1 == 11) || (%1 == 12) || (%1 == 13) || (%1 == 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
%else
    push 0
%endif
    push %1
    jmp exception_common
%endmacro

; Every general-purpose register, in the order struct interrupt_frame (core/cpu.h) reads them back.
%macro PUSH_ALL_GPRS 0
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
%endmacro

%macro POP_ALL_GPRS 0
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
%endmacro

%macro IRQ_STUB 1
stub_%1:
    push %1
    jmp irq_common
%endmacro

section .text
exception_common:
    PUSH_ALL_GPRS
    mov rdi, rsp
    and rsp, ~15
    call exception_handler
.hang:
    cli
    hlt
    jmp .hang

nmi_common:
    PUSH_ALL_GPRS
    mov rdi, rsp
    mov rbx, rsp
    sub rsp, FXSAVE_BYTES
    and rsp, ~15
    fxsave [rsp]
    call nmi_handler
    fxrstor [rsp]
    mov rsp, rbx
    POP_ALL_GPRS
    add rsp, 16
    iretq

irq_common:
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    push rbx
    mov rdi, [rsp + 80]
    mov rbx, rsp
    and rsp, ~15
    call irq_handler
    mov rsp, rbx
    pop rbx
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    add rsp, 8
    iretq

%assign v 0
%rep 32
EXCEPTION_STUB v
%assign v v + 1
%endrep
%rep 224
IRQ_STUB v
%assign v v + 1
%endrep

section .rodata
align 8
interrupt_stubs:
%assign v 0
%rep 256
    dq stub_ %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits

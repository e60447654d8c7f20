; Vireo kernel entry, reached from a multiboot loader (headers in multiboot.asm, linked into the
; multiboot image only) or a PVH monitor (the note below), then 32-bit protected mode -> long mode.
bits 32

; The PVH entry (Xen's direct-boot ABI, used by QEMU and microVM monitors): an ELF note names a
; 32-bit entry point; the monitor enters it in flat protected mode, paging off, with EBX holding
; the physical address of an hvm_start_info whose first word is this magic.
XEN_ELFNOTE_PHYS32_ENTRY equ 18
HVM_START_MAGIC     equ 0x336EC578

CR0_PE              equ 1 << 0
CR0_MP              equ 1 << 1
CR0_EM              equ 1 << 2
CR0_NE              equ 1 << 5
CR0_PG              equ 1 << 31
CR4_PAE             equ 1 << 5
CR4_OSFXSR          equ 1 << 9
CR4_OSXMMEXCPT      equ 1 << 10
MSR_EFER            equ 0xC0000080
EFER_SCE            equ 1 << 0
EFER_LME            equ 1 << 8
EFER_NXE            equ 1 << 11

PAGE_PRESENT        equ 1 << 0
PAGE_WRITE          equ 1 << 1
PAGE_HUGE           equ 1 << 7
HUGE_PAGE_SIZE      equ 0x200000
IDENTITY_GIB        equ 4

KERNEL_CODE         equ 0x08
KERNEL_DATA         equ 0x10

extern kernel_main

global _start, pvh_start, boot_magic, boot_info, boot_entry_tsc, gdt64, gdt64_pointer

section .note.Xen note alloc noexec nowrite align=4
    dd xen_name_end - xen_name  ; namesz
    dd 4                        ; descsz
    dd XEN_ELFNOTE_PHYS32_ENTRY
xen_name:
    db "Xen", 0
xen_name_end:
    dd pvh_start

section .text32 progbits alloc exec
; The PVH start info carries its own magic; it becomes boot_magic as a loader's magic would.
pvh_start:
    mov eax, HVM_START_MAGIC
_start:
    cli
    mov [boot_magic], eax
    mov [boot_info], ebx
    rdtsc
    mov [boot_entry_tsc], eax
    mov [boot_entry_tsc + 4], edx
    mov esp, boot_stack_top

    ; Identity map the first 4 GiB with 2 MiB pages: PML4[0] -> PDPT, PDPT[0..3] -> 4 PDs.
    mov eax, boot_pdpt
    or eax, PAGE_PRESENT | PAGE_WRITE
    mov [boot_pml4], eax
    xor ecx, ecx
.pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, PAGE_PRESENT | PAGE_WRITE
    mov [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, IDENTITY_GIB
    jne .pdpt
    xor ecx, ecx                      ; ecx = 2 MiB page index, 0 .. 2047
.pd:
    mov eax, ecx
    shl eax, 21
    or eax, PAGE_PRESENT | PAGE_WRITE | PAGE_HUGE
    mov [boot_pd + ecx * 8], eax
    mov eax, ecx
    shr eax, 11                       ; high dword of the physical address
    mov [boot_pd + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, IDENTITY_GIB * 512
    jne .pd

    mov eax, cr4
    or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_SCE | EFER_NXE
    wrmsr
    mov eax, cr0
    and eax, ~CR0_EM
    or eax, CR0_PE | CR0_MP | CR0_NE | CR0_PG
    mov cr0, eax
    lgdt [gdt64_pointer]
    jmp KERNEL_CODE:long_mode

bits 64
long_mode:
    mov ax, KERNEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    fninit
    push 0x1F80                       ; MXCSR default: all exceptions masked
    ldmxcsr [rsp]
    add rsp, 8
    xor ebp, ebp
    call kernel_main
.hang:
    cli
    hlt
    jmp .hang

section .data
align 8
boot_magic:     dd 0
boot_info:      dd 0
boot_entry_tsc: dq 0

; Null, kernel code (64-bit), kernel data; the TSS descriptor is filled in at run time.
align 16
gdt64:
    dq 0
    dq 0x00AF9A000000FFFF
    dq 0x00CF92000000FFFF
    dq 0, 0
gdt64_end:
gdt64_pointer:
    dw gdt64_end - gdt64 - 1
    dq gdt64

BOOT_STACK_SIZE equ 1024 * 1024
global boot_pml4, boot_pdpt, boot_pd, boot_stack_top, boot_stack_bottom
section .bss
align 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4096 * IDENTITY_GIB
boot_stack_bottom:
            resb BOOT_STACK_SIZE
boot_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits

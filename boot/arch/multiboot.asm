; Multiboot v1 (QEMU -kernel on pc/q35, via the address-fields flag so an ELF64 is accepted) and
; multiboot2 (GRUB ISO) headers. Linked only into the multiboot image: QEMU tries multiboot before
; PVH, so the PVH image must not carry them.
bits 32

MB1_MAGIC           equ 0x1BADB002
MB1_FLAG_ALIGN      equ 1 << 0
MB1_FLAG_MEMINFO    equ 1 << 1
MB1_FLAG_ADDRESSES  equ 1 << 16
MB1_FLAGS           equ MB1_FLAG_ALIGN | MB1_FLAG_MEMINFO | MB1_FLAG_ADDRESSES

MB2_MAGIC           equ 0xE85250D6
MB2_ARCH_I386       equ 0
MB2_TAG_END         equ 0
MB2_TAG_ENTRY       equ 3

extern load_start, load_end, bss_end, _start

section .multiboot
align 4
mb1_header:
    dd MB1_MAGIC
    dd MB1_FLAGS
    dd -(MB1_MAGIC + MB1_FLAGS)
    dd mb1_header           ; header_addr
    dd load_start           ; load_addr
    dd load_end             ; load_end_addr
    dd bss_end              ; bss_end_addr
    dd _start               ; entry_addr

align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
align 8
    dw MB2_TAG_ENTRY, 0
    dd 12
    dd _start
align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_header_end:

section .note.GNU-stack noalloc noexec nowrite progbits

; The app's QuickJS bytecode, compressed and embedded at build time (BYTECODE_FILE is passed by the
; build; boot/js/lz-decode.c reads it).
global app_bytecode, app_bytecode_end
section .rodata
align 16
app_bytecode:
    incbin BYTECODE_FILE
app_bytecode_end:

section .note.GNU-stack noalloc noexec nowrite progbits

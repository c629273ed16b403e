; modules.asm — the kernel's internal modules (Module request revision 1): files named by
; the kernel itself, relative to the kernel's directory, loaded before the entry's modules.

section .text

; kernel_address_to_physical — IN: rcx = a virtual address inside the loaded kernel image.
; OUT: rax = its physical address. Stops with a message when it points elsewhere.
kernel_address_to_physical:
    mov rax, rcx
    sub rax, [rel kernel_virtual_base]
    jb .outside
    cmp rax, [rel kernel_image_size]
    jae .outside
    add rax, [rel kernel_physical_base]
    ret
.outside:
    sub rsp, 8
    FAIL msg_internal_pointer

; add_internal_modules — when the Module request (revision >= 1) lists internal modules,
; put them in front of the entry's modules: path = the kernel's directory + "/" + the
; given path on the kernel's volume, cmdline as given, optional unless flagged REQUIRED, gzip when flagged COMPRESSED
; (honoured: the module response is revision 2).
; OUT: module_paths, module_cmdlines, module_optional, module_compressed, module_count.
add_internal_modules:
    FRAME
    mov ecx, REQ_MODULE
    call request_address
    test rax, rax
    jz .done
    cmp qword [rax + REQ_REVISION], 1
    jb .done
    mov r12, [rax + REQ_INTERNAL_MODULE_COUNT]
    test r12, r12
    jz .done
    mov r13, [rax + REQ_INTERNAL_MODULES]
    mov rax, [rel module_count]
    add rax, r12
    jc .too_many
    cmp rax, MAX_MODULES
    ja .too_many
    ; make room: the entry's modules move up by the internal count
    mov rbx, [rel module_count]
.shift:
    test rbx, rbx
    jz .shifted
    dec rbx
    lea rdx, [rbx + r12]
    lea rax, [rel module_paths]
    mov rcx, [rax + rbx*8]
    mov [rax + rdx*8], rcx
    lea rax, [rel module_cmdlines]
    mov rcx, [rax + rbx*8]
    mov [rax + rdx*8], rcx
    lea rax, [rel module_volumes]
    mov rcx, [rax + rbx*8]
    mov [rax + rdx*8], rcx
    lea rax, [rel module_names]
    mov rcx, [rax + rbx*8]
    mov [rax + rdx*8], rcx
    lea rax, [rel module_hashes]
    mov rcx, [rax + rbx*8]
    mov [rax + rdx*8], rcx
    mov qword [rax + rbx*8], 0          ; an internal module carries no hash
    lea rax, [rel module_optional]
    mov byte [rax + rdx], 0
    lea rax, [rel module_compressed]
    mov cl, [rax + rbx]
    mov [rax + rdx], cl
    mov byte [rax + rbx], 0
    jmp .shift
.shifted:
    add [rel module_count], r12
    mov rcx, r13
    call kernel_address_to_physical
    mov r13, rax                        ; the kernel's array of pointers
    xor ebx, ebx
.module:
    cmp rbx, r12
    jae .done
    mov rcx, [r13 + rbx*8]
    call kernel_address_to_physical
    mov r14, rax                        ; struct limine_internal_module
    test qword [r14 + IM_FLAGS], INTERNAL_MODULE_COMPRESSED
    setnz cl
    lea rax, [rel module_compressed]
    mov [rax + rbx], cl
    lea rax, [rel module_optional]
    mov byte [rax + rbx], 1
    test qword [r14 + IM_FLAGS], INTERNAL_MODULE_REQUIRED
    jz .optional
    mov byte [rax + rbx], 0
.optional:
    lea r15, [rel msg_empty_string]
    mov rcx, [r14 + IM_CMDLINE]
    test rcx, rcx
    jz .cmdline_done
    call kernel_address_to_physical
    mov r15, rax
.cmdline_done:
    lea rax, [rel module_cmdlines]
    mov [rax + rbx*8], r15
    mov rax, [rel kernel_volume]        ; relative to the kernel: on its volume
    lea rcx, [rel module_volumes]
    mov [rcx + rbx*8], rax
    mov rcx, [r14 + IM_PATH]
    call kernel_address_to_physical
    mov rsi, rax                        ; the relative path
    mov ecx, PATH_MAX
    call arena_alloc
    mov rdi, rax
    lea rdx, [rel module_paths]
    mov [rdx + rbx*8], rdi
    lea rdx, [rel module_names]
    mov [rdx + rbx*8], rdi
    ; the kernel's directory, up to and including its last '/'
    mov r8, [rel kernel_path]
    xor r9d, r9d                        ; length through the last '/'
    xor ecx, ecx
.scan:
    mov al, [r8 + rcx]
    test al, al
    jz .copy_dir
    inc rcx
    cmp al, '/'
    jne .scan
    mov r9, rcx
    jmp .scan
.copy_dir:
    xor ecx, ecx
.dir_char:
    cmp rcx, r9
    jae .relative
    mov al, [r8 + rcx]
    mov [rdi + rcx], al
    inc rcx
    jmp .dir_char
.relative:
    cmp byte [rsi], '/'                 ; "/x" still means "x" next to the kernel
    jne .append
    inc rsi
    jmp .relative
.append:
    mov al, [rsi]
    mov [rdi + rcx], al
    test al, al
    jz .next
    inc rsi
    inc rcx
    cmp rcx, PATH_MAX - 1
    jb .append
    mov byte [rdi + rcx], 0
.next:
    inc rbx
    jmp .module
.done:
    UNFRAME
.too_many:
    FAIL msg_too_many_modules

section .data
align 8
module_optional:    times MAX_MODULES db 0
module_compressed:  times MAX_MODULES db 0      ; 1: gzip, decompressed by load_modules
msg_internal_pointer: db "the kernel's module request points outside the kernel image", 0

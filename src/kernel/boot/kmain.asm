; Kernel entry: check the bootloader's answers, print the boot log, bring up every subsystem, then
; run what the command line asks for (idle, the test suite, or the benchmarks).

KERNEL_STACK_SIZE   equ 64 * 1024
CMDLINE_MAX         equ 256

section .bss
hhdm_offset:            resq 1
kernel_physical_base:   resq 1
kernel_virtual_base:    resq 1
memory_map_end:         resq 1      ; end of the highest memory-map entry that is not reserved
kernel_cmdline:         resq 1      ; 0-terminated command line ("" when none)
run_mode:               resq 1
exit_after_boot:        resq 1
panic_after_boot:       resq 1      ; `panic` on the cmdline: show the panic report after booting
test_filter:            resq 1      ; start of the filter text, or 0
test_filter_length:     resq 1

; The kernel's own stack, with an unmapped guard page below it (see paging_init).
    alignb PAGE_SIZE
kernel_stack_guard:     resb PAGE_SIZE
kernel_stack:           resb KERNEL_STACK_SIZE
kernel_stack_top:

section .rodata
text_revision_unsupported:  db `ostool kernel: the bootloader does not support Limine base revision 2; halting\n`, 0
text_missing_response:      db "the bootloader did not answer the %s request", 0
text_booting:               db "ostool kernel booting", 0
text_bootloader:            db "bootloader: %s %s", 0
text_firmware:              db "firmware: %s", 0
text_firmware_bios:         db "BIOS", 0
text_firmware_uefi32:       db "UEFI (32-bit)", 0
text_firmware_uefi64:       db "UEFI (64-bit)", 0
text_firmware_unknown:      db "unknown", 0
text_memmap_header:         db "memory map (%u entries):", 0
text_memmap_entry:          db "  %p %p %s", 0
text_memmap_usable_total:   db "usable memory: %u KiB (%u MiB)", 0
text_kernel_address:        db "kernel: physical %p, virtual %p", 0
text_hhdm:                  db "hhdm offset: %p", 0
text_paging_mode:           db "paging mode: %u-level", 0
text_rsdp:                  db "rsdp: %p", 0
text_framebuffer:           db "framebuffer: %ux%u, %u bpp, pitch %u, at %p", 0
text_no_framebuffer:        db "framebuffer: none", 0
text_cmdline:               db `cmdline: "%s"`, 0
text_stack_size:            db "stack size request honoured", 0
text_memory_ready:          db "frames: %u free of %u usable (bitmap %u frames)", 0
text_paging_ready:          db "paging: kernel page tables active, cr3=%p", 0
text_heap_ready:            db "heap: buddy allocator at %p", 0
text_boot_done:             db "boot complete", 0
text_init_name:             db "/bin/init", 0
text_init_started:          db "user: started /bin/init as process %u", 0
text_init_missing:          db "user: /bin/init could not be started", 0
text_empty:                 db 0
text_request_bootloader_info:   db "bootloader info", 0
text_request_hhdm:              db "HHDM", 0
text_request_memmap:            db "memory map", 0
text_request_kernel_address:    db "kernel address", 0
text_request_firmware_type:     db "firmware type", 0
text_request_kernel_file:       db "kernel file (no command line)", 0
text_request_rsdp:              db "RSDP", 0
text_request_stack_size:        db "stack size", 0
text_request_paging_mode:       db "paging mode", 0
text_option_test:               db "test", 0
text_option_bench:              db "bench", 0
text_option_exit:               db "exit", 0
text_option_panic:              db "panic", 0
text_requested_panic:           db "panic requested on the command line (%s)", 0
text_option_log:                db "log=", 0
text_option_filter:             db "filter=", 0
text_unknown_log_level:         db "unknown log level in the command line, keeping info", 0

memmap_type_usable:         db "usable", 0
memmap_type_reserved:       db "reserved", 0
memmap_type_acpi_reclaim:   db "ACPI reclaimable", 0
memmap_type_acpi_nvs:       db "ACPI NVS", 0
memmap_type_bad:            db "bad memory", 0
memmap_type_bootloader:     db "bootloader reclaimable", 0
memmap_type_kernel:         db "kernel and modules", 0
memmap_type_framebuffer:    db "framebuffer", 0
memmap_type_unknown:        db "unknown", 0
memmap_type_names:
    dq memmap_type_usable, memmap_type_reserved, memmap_type_acpi_reclaim, memmap_type_acpi_nvs
    dq memmap_type_bad, memmap_type_bootloader, memmap_type_kernel, memmap_type_framebuffer

section .text

; kmain: the ELF entry point, jumped to by the bootloader. Does not return.
kmain:
    cld
    ; Our own stack from the start: it is in .bss, mapped by the bootloader's page tables and by ours,
    ; so the CR3 switch in paging_init cannot pull the stack away (its guard page starts working then).
    lea rsp, [rel kernel_stack_top]
    xor ebp, ebp                            ; ends the backtrace chain
    call serial_init
    ; Base revision 2 must be acknowledged (third word set to 0), or nothing below can be trusted.
    cmp qword [rel limine_base_revision + 16], 0
    je .revision_ok
    lea rdi, [rel text_revision_unsupported]
    call serial_puts
    mov edi, DEBUG_EXIT_FAILURE             ; under QEMU, end the run; elsewhere, halt
    call qemu_exit
.revision_ok:
    mov rax, [rel hhdm_request + limine_request.response]
    test rax, rax
    jz .no_hhdm
    mov rax, [rax + limine_hhdm_response.offset]
    mov [rel hhdm_offset], rax
    call read_cmdline
%ifdef KTEST_UNANSWERED_REQUESTS
    mov qword [rel exit_after_boot], 1      ; no kernel-file response, so no `exit` on a command line
%endif
    call fb_console_init                    ; so the console shows the boot log too
    mov edi, LOG_INFO
    lea rsi, [rel text_booting]
    call klog
    call print_boot_log
    call gdt_init
    call idt_init

    mov rax, [rel kernel_address_request + limine_request.response]
    test rax, rax
    jz .no_kernel_address
    mov rcx, [rax + limine_kernel_address_response.physical_base]
    mov [rel kernel_physical_base], rcx
    mov rcx, [rax + limine_kernel_address_response.virtual_base]
    mov [rel kernel_virtual_base], rcx

    mov rdi, [rel memmap_request + limine_request.response]
    test rdi, rdi
    jz .no_memmap
    call pmm_init
    mov edi, LOG_INFO
    lea rsi, [rel text_memory_ready]
    mov rdx, [rel pmm_free_frames]
    mov rcx, [rel pmm_usable_frames]
    mov r8, [rel pmm_bitmap_frames]
    call klog

    mov rdi, [rel memory_map_end]
    call paging_init
    mov edi, LOG_INFO
    lea rsi, [rel text_paging_ready]
    mov rdx, cr3
    call klog
    call heap_init
    mov edi, LOG_INFO
    lea rsi, [rel text_heap_ready]
    mov rdx, HEAP_BASE
    call klog
    call fpu_init
    call acpi_init
    call interrupts_init
    mov edi, TIMER_HZ
    cmp qword [rel run_mode], MODE_TEST
    jne .tick_chosen
    mov edi, TIMER_TEST_HZ                  ; short ticks and slices make the timing tests short
.tick_chosen:
    call timer_init
    call scheduler_init
    call syscall_init
    call keyboard_init
    call initrd_init
    mov edi, LOG_INFO
    lea rsi, [rel text_boot_done]
    call klog

    cmp qword [rel panic_after_boot], 0
    je .no_panic
    call panic_on_request
.no_panic:
    cmp qword [rel run_mode], MODE_TEST
    je .test
    cmp qword [rel run_mode], MODE_BENCH
    je .bench
    cmp qword [rel exit_after_boot], 0
    je .console
    mov edi, DEBUG_EXIT_SUCCESS
    call qemu_exit
.test:
    mov rdi, [rel test_filter]
    mov rsi, [rel test_filter_length]
    call run_tests                          ; exits QEMU with the verdict
.console:
    ; `ostool run`: userspace takes over; /bin/init starts the console (/bin/echo).
    call start_init
.idle:
    mov edi, 1000
    call thread_sleep_ms
    jmp .idle
.bench:
    call run_benchmarks
    mov edi, DEBUG_EXIT_SUCCESS
    call qemu_exit

.no_hhdm:
    lea rsi, [rel text_request_hhdm]
    jmp .missing
.no_kernel_address:
    lea rsi, [rel text_request_kernel_address]
    jmp .missing
.no_memmap:
    lea rsi, [rel text_request_memmap]
.missing:
    lea rdi, [rel text_missing_response]
    call panic

; read_cmdline: find the command line in the kernel-file response and apply its options:
;   test | bench       run mode                     exit         leave QEMU after booting
;   log=LEVEL          error/warn/info/debug        filter=TEXT  run only tests whose name contains TEXT
;   panic              panic after booting (to see the panic report and backtrace)
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
read_cmdline:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rax, [rel text_empty]
    mov [rel kernel_cmdline], rax
    mov rax, [rel kernel_file_request + limine_request.response]
    test rax, rax
    jz .done
    mov rax, [rax + limine_kernel_file_response.kernel_file]
    test rax, rax
    jz .done
    mov rax, [rax + limine_file.cmdline]
    test rax, rax
    jz .done
    mov [rel kernel_cmdline], rax
    mov rbx, rax
.token:
    ; Skip spaces, then measure the token.
    cmp byte [rbx], ' '
    jne .token_start
    inc rbx
    jmp .token
.token_start:
    cmp byte [rbx], 0
    je .done
    xor r12d, r12d
.measure:
    mov al, [rbx + r12]
    test al, al
    jz .measured
    cmp al, ' '
    je .measured
    inc r12
    jmp .measure
.measured:
    mov rdi, rbx
    mov rsi, r12
    call apply_cmdline_option
    add rbx, r12
    jmp .token
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; apply_cmdline_option: act on one command-line word.
; IN: rdi = word, rsi = its length. OUT: nothing. Clobbers: caller-saved registers.
apply_cmdline_option:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    mov r12, rsi
    lea rdx, [rel text_option_test]
    call word_equals
    test eax, eax
    jz .not_test
    mov qword [rel run_mode], MODE_TEST
    jmp .done
.not_test:
    mov rdi, rbx
    mov rsi, r12
    lea rdx, [rel text_option_bench]
    call word_equals
    test eax, eax
    jz .not_bench
    mov qword [rel run_mode], MODE_BENCH
    jmp .done
.not_bench:
    mov rdi, rbx
    mov rsi, r12
    lea rdx, [rel text_option_exit]
    call word_equals
    test eax, eax
    jz .not_exit
    mov qword [rel exit_after_boot], 1
    jmp .done
.not_exit:
    mov rdi, rbx
    mov rsi, r12
    lea rdx, [rel text_option_panic]
    call word_equals
    test eax, eax
    jz .not_panic
    mov qword [rel panic_after_boot], 1
    jmp .done
.not_panic:
    mov rdi, rbx
    mov rsi, r12
    lea rdx, [rel text_option_log]
    call word_starts_with
    test rax, rax
    jz .not_log
    lea rdi, [rbx + rax]
    mov rsi, r12
    sub rsi, rax
    call log_level_from_name
    cmp rax, -1
    je .unknown_level
    mov [rel log_level], rax
    jmp .done
.unknown_level:
    mov edi, LOG_WARN
    lea rsi, [rel text_unknown_log_level]
    call klog
    jmp .done
.not_log:
    mov rdi, rbx
    mov rsi, r12
    lea rdx, [rel text_option_filter]
    call word_starts_with
    test rax, rax
    jz .done
    lea rcx, [rbx + rax]
    mov [rel test_filter], rcx
    mov rcx, r12
    sub rcx, rax
    mov [rel test_filter_length], rcx
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; word_equals: whether a length-delimited word equals a 0-terminated string.
; IN: rdi = word, rsi = length, rdx = string. OUT: eax = 1 when equal, else 0. Clobbers: rcx, r8.
word_equals:
    xor ecx, ecx
.next:
    cmp rcx, rsi
    je .end_of_word
    mov r8b, [rdx + rcx]
    cmp r8b, [rdi + rcx]
    jne .different
    inc rcx
    jmp .next
.end_of_word:
    cmp byte [rdx + rcx], 0
    jne .different
    mov eax, 1
    ret
.different:
    xor eax, eax
    ret

; word_starts_with: whether a length-delimited word starts with a 0-terminated prefix.
; IN: rdi = word, rsi = length, rdx = prefix. OUT: rax = prefix length when it does, else 0.
; Clobbers: rcx, r8.
word_starts_with:
    xor ecx, ecx
.next:
    mov r8b, [rdx + rcx]
    test r8b, r8b
    jz .matched
    cmp rcx, rsi
    je .different
    cmp r8b, [rdi + rcx]
    jne .different
    inc rcx
    jmp .next
.matched:
    mov rax, rcx
    ret
.different:
    xor eax, eax
    ret

; print_boot_log: what the bootloader told us, one klog line each; missing answers are reported.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
print_boot_log:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14

    mov rax, [rel bootloader_info_request + limine_request.response]
    test rax, rax
    jz .no_bootloader_info
    mov edi, LOG_INFO
    lea rsi, [rel text_bootloader]
    mov rdx, [rax + limine_bootloader_info_response.name]
    mov rcx, [rax + limine_bootloader_info_response.version]
    call klog
    jmp .firmware
.no_bootloader_info:
    lea rdx, [rel text_request_bootloader_info]
    call report_missing_response

.firmware:
    mov rax, [rel firmware_type_request + limine_request.response]
    test rax, rax
    jnz .have_firmware
    lea rdx, [rel text_request_firmware_type]
    call report_missing_response
    jmp .memory_map
.have_firmware:
    lea rdx, [rel text_firmware_unknown]
    mov rax, [rax + limine_firmware_type_response.firmware_type]
    lea rcx, [rel text_firmware_bios]
    cmp rax, LIMINE_FIRMWARE_TYPE_X86BIOS
    cmove rdx, rcx
    lea rcx, [rel text_firmware_uefi32]
    cmp rax, LIMINE_FIRMWARE_TYPE_UEFI32
    cmove rdx, rcx
    lea rcx, [rel text_firmware_uefi64]
    cmp rax, LIMINE_FIRMWARE_TYPE_UEFI64
    cmove rdx, rcx
.print_firmware:
    mov edi, LOG_INFO
    lea rsi, [rel text_firmware]
    call klog

.memory_map:
    ; Memory map table and total usable memory; also remember where the map ends for paging.
    mov rax, [rel memmap_request + limine_request.response]
    test rax, rax
    jnz .have_memory_map
    lea rdx, [rel text_request_memmap]
    call report_missing_response
    jmp .kernel_address
.have_memory_map:
    mov r12, [rax + limine_memmap_response.entry_count]
    mov r13, [rax + limine_memmap_response.entries]
    mov edi, LOG_INFO
    lea rsi, [rel text_memmap_header]
    mov rdx, r12
    call klog
    xor ebx, ebx
    xor r14d, r14d                          ; usable bytes
.entry:
    cmp rbx, r12
    je .entries_done
    mov rax, [r13 + rbx * 8]
    inc rbx
    mov rdx, [rax + limine_memmap_entry.base]
    mov rcx, [rax + limine_memmap_entry.length]
    lea r8, [rdx + rcx]
    ; reserved ranges are never touched through the HHDM: a far one (QEMU's E820 reserves 1 TiB - 12 GiB
    ; for AMD's HyperTransport) must not make paging_init map a terabyte
    cmp qword [rax + limine_memmap_entry.type], LIMINE_MEMMAP_RESERVED
    je .not_highest
    cmp r8, [rel memory_map_end]
    jbe .not_highest
    mov [rel memory_map_end], r8
.not_highest:
    mov r8, [rax + limine_memmap_entry.type]
    cmp r8, LIMINE_MEMMAP_USABLE
    jne .named
    add r14, rcx
.named:
    cmp r8, LIMINE_MEMMAP_TYPE_COUNT
    jae .unknown_type
    lea r9, [rel memmap_type_names]
    mov r8, [r9 + r8 * 8]
    jmp .print_entry
.unknown_type:
    lea r8, [rel memmap_type_unknown]
.print_entry:
    mov edi, LOG_INFO
    lea rsi, [rel text_memmap_entry]
    call klog
    jmp .entry
.entries_done:
    mov edi, LOG_INFO
    lea rsi, [rel text_memmap_usable_total]
    mov rdx, r14
    shr rdx, 10
    mov rcx, r14
    shr rcx, 20
    call klog

.kernel_address:
    mov rax, [rel kernel_address_request + limine_request.response]
    test rax, rax
    jnz .have_kernel_address
    lea rdx, [rel text_request_kernel_address]
    call report_missing_response
    jmp .hhdm
.have_kernel_address:
    mov edi, LOG_INFO
    lea rsi, [rel text_kernel_address]
    mov rdx, [rax + limine_kernel_address_response.physical_base]
    mov rcx, [rax + limine_kernel_address_response.virtual_base]
    call klog
.hhdm:
    mov edi, LOG_INFO
    lea rsi, [rel text_hhdm]
    mov rdx, [rel hhdm_offset]
    call klog
    mov rax, [rel paging_mode_request + limine_request.response]
    test rax, rax
    jnz .have_paging_mode
    lea rdx, [rel text_request_paging_mode]
    call report_missing_response
    jmp .rsdp
.have_paging_mode:
    mov edi, LOG_INFO
    lea rsi, [rel text_paging_mode]
    mov rdx, [rax + limine_paging_mode_response.mode]
    add rdx, 4                              ; mode 0 = 4-level, 1 = 5-level
    call klog
.rsdp:
    mov rax, [rel rsdp_request + limine_request.response]
    test rax, rax
    jnz .have_rsdp
    lea rdx, [rel text_request_rsdp]
    call report_missing_response
    jmp .stack_size
.have_rsdp:
    mov edi, LOG_INFO
    lea rsi, [rel text_rsdp]
    mov rdx, [rax + limine_rsdp_response.address]
    call klog
.stack_size:
    cmp qword [rel stack_size_request + limine_request.response], 0
    jne .have_stack_size
    lea rdx, [rel text_request_stack_size]
    call report_missing_response
    jmp .framebuffer
.have_stack_size:
    mov edi, LOG_DEBUG
    lea rsi, [rel text_stack_size]
    call klog
.framebuffer:
    call first_framebuffer
    test rax, rax
    jz .no_framebuffer
    mov edi, LOG_INFO
    lea rsi, [rel text_framebuffer]
    mov rdx, [rax + limine_framebuffer.width]
    mov rcx, [rax + limine_framebuffer.height]
    movzx r8d, word [rax + limine_framebuffer.bpp]
    mov r9, [rax + limine_framebuffer.pitch]
    push qword [rax + limine_framebuffer.address]
    push qword [rax + limine_framebuffer.address]          ; keeps rsp 16-byte aligned
    call klog
    add rsp, 16
    jmp .cmdline
.no_framebuffer:
    mov edi, LOG_INFO
    lea rsi, [rel text_no_framebuffer]
    call klog
.cmdline:
    cmp qword [rel kernel_file_request + limine_request.response], 0
    jne .have_kernel_file
    lea rdx, [rel text_request_kernel_file]
    call report_missing_response
.have_kernel_file:
    mov edi, LOG_INFO
    lea rsi, [rel text_cmdline]
    mov rdx, [rel kernel_cmdline]
    call klog
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; start_init: start /bin/init.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
start_init:
    push rbp
    mov rbp, rsp
    lea rdi, [rel text_init_name]
    call user_program_find
    test rax, rax
    jz .missing
    mov rdi, rax
    call process_spawn
    test rax, rax
    jz .missing
    push rax
    push rax
    mov rdi, rax
    call thread_detach
    pop rax
    pop rax
    mov edi, LOG_INFO
    lea rsi, [rel text_init_started]
    mov rdx, [rax + thread.id]
    call klog
    pop rbp
    ret
.missing:
    mov edi, LOG_ERROR
    lea rsi, [rel text_init_missing]
    call klog
    pop rbp
    ret

; panic_on_request: panic on purpose, one call deep so the backtrace has something to show.
; IN: nothing. Does not return.
panic_on_request:
    push rbp
    mov rbp, rsp
    lea rdi, [rel text_requested_panic]
    lea rsi, [rel text_option_panic]
    call panic

; report_missing_response: warn that the bootloader left a request unanswered.
; IN: rdx = request name. OUT: nothing. Clobbers: caller-saved registers.
report_missing_response:
    mov edi, LOG_WARN
    lea rsi, [rel text_missing_response]
    jmp klog

; first_framebuffer: the first framebuffer the bootloader gave us.
; IN: nothing. OUT: rax = struc limine_framebuffer, or 0 when there is none. Clobbers: nothing else.
first_framebuffer:
    mov rax, [rel framebuffer_request + limine_request.response]
    test rax, rax
    jz .none
    cmp qword [rax + limine_framebuffer_response.framebuffer_count], 0
    je .none
    mov rax, [rax + limine_framebuffer_response.framebuffers]
    mov rax, [rax]
    ret
.none:
    xor eax, eax
    ret

; Tests: formatting (ksnprintf), log levels and the symbol table used by backtraces.

FORMAT_TEST_BUFFER_SIZE equ 128

section .bss
format_test_buffer: resb FORMAT_TEST_BUFFER_SIZE

section .rodata
ft_signed_format:       db "%d", 0
ft_signed_expected:     db "-42", 0
ft_kinds_format:        db "%u|%x|%p|%lu", 0
ft_kinds_expected:      db "1234|beef|0xffffffff80001000|18446744073709551615", 0
ft_widths_format:       db "[%5d][%-5d][%05d][%-4s][%3s][%08x]", 0
ft_widths_expected:     db "[   42][42   ][-0042][ab  ][abcd][0000beef]", 0
ft_ab:                  db "ab", 0
ft_abcd:                db "abcd", 0
ft_chars_format:        db "%c%c%%%s", 0
ft_chars_expected:      db "ok%(null)", 0
ft_truncate_format:     db "%u", 0
ft_truncate_expected:   db "123", 0
ft_many_format:         db "%u %u %u %u %u %u %s", 0
ft_many_expected:       db "1 2 3 4 5 6 seven", 0
ft_seven:               db "seven", 0
ft_level_debug:         db "debug"
ft_level_verbose:       db "verbose"
ft_kmalloc_name:        db "kmalloc", 0

section .text

TEST "format: %d prints negative numbers with a sign", test_format_signed
test_format_signed:
    push rbp
    mov rbp, rsp
    lea rdi, [rel format_test_buffer]
    mov esi, FORMAT_TEST_BUFFER_SIZE
    lea rdx, [rel ft_signed_format]
    mov rcx, -42
    call ksnprintf
    ASSERT_EQ rax, 3
    lea rcx, [rel format_test_buffer]
    lea rdx, [rel ft_signed_expected]
    ASSERT_STR_EQ rcx, rdx
    pop rbp
    ret

TEST "format: %u %x %p print unsigned decimal, hex and full pointers", test_format_kinds
test_format_kinds:
    push rbp
    mov rbp, rsp
    lea rdi, [rel format_test_buffer]
    mov esi, FORMAT_TEST_BUFFER_SIZE
    lea rdx, [rel ft_kinds_format]
    mov ecx, 1234
    mov r8d, 0xbeef
    mov r9, 0xffffffff80001000
    push -1
    push -1
    call ksnprintf
    add rsp, 16
    lea rcx, [rel format_test_buffer]
    lea rdx, [rel ft_kinds_expected]
    ASSERT_STR_EQ rcx, rdx
    pop rbp
    ret

TEST "format: widths pad right, left (-) and with zeros after the sign", test_format_widths
test_format_widths:
    push rbp
    mov rbp, rsp
    lea rdi, [rel format_test_buffer]
    mov esi, FORMAT_TEST_BUFFER_SIZE
    lea rdx, [rel ft_widths_format]
    mov ecx, 42
    mov r8d, 42
    mov r9, -42
    sub rsp, 8                              ; keeps rsp 16-byte aligned at the call
    push 0xbeef
    lea rax, [rel ft_abcd]
    push rax
    lea rax, [rel ft_ab]
    push rax
    call ksnprintf
    add rsp, 32
    lea rcx, [rel format_test_buffer]
    lea rdx, [rel ft_widths_expected]
    ASSERT_STR_EQ rcx, rdx
    pop rbp
    ret

TEST "format: %c, %% and a null %s", test_format_chars
test_format_chars:
    push rbp
    mov rbp, rsp
    lea rdi, [rel format_test_buffer]
    mov esi, FORMAT_TEST_BUFFER_SIZE
    lea rdx, [rel ft_chars_format]
    mov ecx, 'o'
    mov r8d, 'k'
    xor r9d, r9d
    call ksnprintf
    lea rcx, [rel format_test_buffer]
    lea rdx, [rel ft_chars_expected]
    ASSERT_STR_EQ rcx, rdx
    pop rbp
    ret

TEST "format: ksnprintf truncates, terminates and returns the full length", test_format_truncates
test_format_truncates:
    push rbp
    mov rbp, rsp
    lea rdi, [rel format_test_buffer]
    mov esi, 4
    lea rdx, [rel ft_truncate_format]
    mov ecx, 123456
    call ksnprintf
    ASSERT_EQ rax, 6
    lea rcx, [rel format_test_buffer]
    lea rdx, [rel ft_truncate_expected]
    ASSERT_STR_EQ rcx, rdx
    pop rbp
    ret

TEST "format: arguments beyond the registers come from the stack", test_format_stack_arguments
test_format_stack_arguments:
    push rbp
    mov rbp, rsp
    lea rdi, [rel format_test_buffer]
    mov esi, FORMAT_TEST_BUFFER_SIZE
    lea rdx, [rel ft_many_format]
    mov ecx, 1
    mov r8d, 2
    mov r9d, 3
    push 0
    lea rax, [rel ft_seven]
    push rax
    push 6
    push 5
    push 4
    call ksnprintf
    add rsp, 40
    lea rcx, [rel format_test_buffer]
    lea rdx, [rel ft_many_expected]
    ASSERT_STR_EQ rcx, rdx
    pop rbp
    ret

TEST "log: levels are looked up by name, unknown names rejected", test_log_level_names
test_log_level_names:
    push rbp
    mov rbp, rsp
    lea rdi, [rel ft_level_debug]
    mov esi, 5
    call log_level_from_name
    ASSERT_EQ rax, LOG_DEBUG
    lea rdi, [rel ft_level_verbose]
    mov esi, 7
    call log_level_from_name
    ASSERT_EQ rax, -1
    pop rbp
    ret

TEST "ksyms: an address inside kmalloc resolves to kmalloc+offset", test_ksyms_resolve
test_ksyms_resolve:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel kmalloc + 5]
    call ksym_resolve
    mov rbx, rax
    mov r12, rdx
    ASSERT_NE rbx, 0
    lea rcx, [rel ft_kmalloc_name]
    ASSERT_STR_EQ rbx, rcx
    ASSERT_EQ r12, 5
    pop r12
    pop rbx
    pop rbp
    ret

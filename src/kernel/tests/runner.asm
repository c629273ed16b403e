; The in-kernel test runner. Reports on serial with the protocol of src/qemu/TEST-PROTOCOL.md
; (TAP-like: a plan line, "ok N - name" / "not ok N - name", "# " diagnostics, a summary) and
; leaves QEMU with the verdict. Panics and expected exceptions come back here through klongjmp, so
; one test's failure never stops the others. What a test has to say (assertion failures, panic
; messages, caught exceptions) is collected with test_note and printed after its result line.

OUTCOME_RETURNED        equ 0
OUTCOME_ASSERTION       equ 1
OUTCOME_PANICKED        equ 2
OUTCOME_EXCEPTION       equ 3
TEST_THREAD_FAILED      equ -1      ; exit code of a test's thread that failed an assertion or panicked

section .bss
    alignb 8
test_current:       resq 1          ; the running test_record, or 0
test_recovery:      resb jmp_buf_size
test_caught_vector: resq 1
test_caught_error:  resq 1
test_caught_cr2:    resq 1
test_caught_rip:    resq 1
test_caught_frame:  resq 1          ; where the exception frame was (tells which stack took it)
test_thread_outcome: resq 1         ; how a thread the test started failed (OUTCOME_RETURNED: it did not)
; Diagnostics of the running test, printed after its result line as the protocol wants.
TEST_DIAGNOSTIC_SIZE equ 1024
test_diagnostic_sink:   resb buffer_sink_size
test_diagnostic:        resb TEST_DIAGNOSTIC_SIZE

section .rodata
test_diagnostic_prefix: db "# ", 0
test_newline:           db `\n`, 0
test_plan_format:       db `TAP version 13\n1..%u\n`, 0
test_ok_format:         db `ok %u - %s\n`, 0
test_not_ok_format:     db `not ok %u - %s\n`, 0
test_summary_format:    db `# tests %u, passed %u, failed %u\n`, 0
test_fail_values_format:    db `# %s:%u: expected %d (%p), actual %d (%p)\n`, 0
test_fail_not_equal_format: db `# %s:%u: expected anything but %d (%p)\n`, 0
test_fail_strings_format:   db `# %s:%u: expected "%s", actual "%s"\n`, 0
test_no_panic_text:         db `# expected a panic, but the test returned\n`, 0
test_no_exception_format:   db `# expected exception %u, but the test returned\n`, 0
test_panicked_text:         db `# the test panicked\n`, 0
test_unexpected_exception_format: db `# unexpected exception %u\n`, 0
test_caught_format:         db `# caught exception %u (error %x, cr2 %p) as expected\n`, 0

section .text

; run_tests: run every registered test whose name contains the filter, report, and exit QEMU with
; success when all passed. Does not return.
; IN: rdi = filter text (or 0 for all), rsi = filter length.
run_tests:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 24
    mov [rsp], rdi                          ; filter
    mov [rsp + 8], rsi                      ; filter length

    ; Plan: how many tests match.
    lea rbx, [rel __kernel_tests_start]
    xor r12d, r12d
.count:
    lea rax, [rel __kernel_tests_end]
    cmp rbx, rax
    jae .counted
    mov rdi, rbx
    mov rsi, [rsp]
    mov rdx, [rsp + 8]
    call test_matches_filter
    add r12, rax
    add rbx, test_record_size
    jmp .count
.counted:
    lea rdi, [rel test_plan_format]
    mov rsi, r12
    call kprintf

    lea rbx, [rel __kernel_tests_start]
    xor r13d, r13d                          ; number of the current test
    xor r14d, r14d                          ; passed
    xor r15d, r15d                          ; failed
.next:
    lea rax, [rel __kernel_tests_end]
    cmp rbx, rax
    jae .summary
    mov rdi, rbx
    mov rsi, [rsp]
    mov rdx, [rsp + 8]
    call test_matches_filter
    test rax, rax
    jz .skip
    inc r13
    mov rdi, rbx
    call run_one_test
    test eax, eax
    jz .failed
    inc r14
    lea rdi, [rel test_ok_format]
    jmp .report
.failed:
    inc r15
    lea rdi, [rel test_not_ok_format]
.report:
    mov rsi, r13
    mov rdx, [rbx + test_record.name]
    call kprintf
    lea rdi, [rel test_diagnostic]
    call console_puts
.skip:
    add rbx, test_record_size
    jmp .next
.summary:
    lea rdi, [rel test_summary_format]
    mov rsi, r13
    mov rdx, r14
    mov rcx, r15
    call kprintf
    mov edi, DEBUG_EXIT_SUCCESS
    test r15, r15
    jz .exit
    mov edi, DEBUG_EXIT_FAILURE
.exit:
    call qemu_exit

; test_matches_filter: whether a test's name contains the filter.
; IN: rdi = test_record, rsi = filter (0 = match all), rdx = filter length.
; OUT: rax = 1 when it matches, else 0. Clobbers: rcx, rdi, r8, r9.
test_matches_filter:
    mov eax, 1
    test rsi, rsi
    jz .done
    test rdx, rdx
    jz .done
    mov rdi, [rdi + test_record.name]
.position:
    cmp byte [rdi], 0
    je .no
    xor ecx, ecx
.compare:
    cmp rcx, rdx
    je .done
    mov r8b, [rdi + rcx]
    test r8b, r8b
    jz .no
    cmp r8b, [rsi + rcx]
    jne .advance
    inc rcx
    jmp .compare
.advance:
    inc rdi
    jmp .position
.no:
    xor eax, eax
.done:
    ret

; run_one_test: run one test and judge its outcome against what it expects.
; IN: rdi = test_record. OUT: eax = 1 passed, 0 failed (diagnostics already printed).
; Clobbers: caller-saved registers.
run_one_test:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    call test_diagnostic_reset
    mov [rel test_current], rbx
    mov qword [rel test_caught_vector], -1
    mov qword [rel test_thread_outcome], OUTCOME_RETURNED
    lea rdi, [rel test_recovery]
    call ksetjmp
    test rax, rax
    jnz .came_back
    call [rbx + test_record.function]
    mov eax, OUTCOME_RETURNED
.came_back:
    mov r12, rax
    mov qword [rel test_current], 0
    ; A test that ended in a panic or inside an interrupt handler left interrupts off (and the
    ; nesting count up): every test starts as the boot left things.
    cmp qword [rel interrupts_ready], 0
    je .judge
    mov qword [rel irq_depth], 0
    sti
.judge:
    ; A test whose own thread returned still fails when a thread it started failed.
    cmp r12, OUTCOME_RETURNED
    jne .outcome_known
    mov r12, [rel test_thread_outcome]
.outcome_known:
    mov rax, [rbx + test_record.expect]
    cmp rax, TEST_EXPECT_PANIC
    je .wants_panic
    cmp rax, TEST_EXPECT_EXCEPTION
    je .wants_exception
    cmp r12, OUTCOME_RETURNED
    je .pass
    cmp r12, OUTCOME_PANICKED
    jne .fail                               ; the assertion already printed why
    lea rdi, [rel test_panicked_text]
    call test_note
    jmp .fail
.wants_panic:
    cmp r12, OUTCOME_PANICKED
    je .pass
    cmp r12, OUTCOME_RETURNED
    jne .fail
    lea rdi, [rel test_no_panic_text]
    call test_note
    jmp .fail
.wants_exception:
    cmp r12, OUTCOME_EXCEPTION
    je .caught
    cmp r12, OUTCOME_RETURNED
    jne .fail
    lea rdi, [rel test_no_exception_format]
    mov rsi, [rbx + test_record.vector]
    call test_note
    jmp .fail
.caught:
    lea rdi, [rel test_caught_format]
    mov rsi, [rel test_caught_vector]
    mov rdx, [rel test_caught_error]
    mov rcx, [rel test_caught_cr2]
    call test_note
    ; The check routine asserts on what was caught; it runs as a test of its own.
    mov rax, [rbx + test_record.check]
    test rax, rax
    jz .pass
    mov [rel test_current], rbx
    lea rdi, [rel test_recovery]
    call ksetjmp
    test rax, rax
    jnz .check_failed
    call [rbx + test_record.check]
    mov qword [rel test_current], 0
    jmp .pass
.check_failed:
    mov qword [rel test_current], 0
    jmp .fail
.pass:
    mov eax, 1
    jmp .done
.fail:
    xor eax, eax
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; test_panic_is_expected: whether the running test is one that should panic.
; IN: nothing. OUT: al = 1 when a should-panic test is running, else 0. Clobbers: rcx.
test_panic_is_expected:
    xor eax, eax
    mov rcx, [rel test_current]
    test rcx, rcx
    jz .done
    cmp qword [rcx + test_record.expect], TEST_EXPECT_PANIC
    sete al
.done:
    ret

; test_recover_from_panic: when a test is running, end it as "panicked". Returns only otherwise.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
test_recover_from_panic:
    cmp qword [rel test_current], 0
    je .no_test
    mov esi, OUTCOME_PANICKED
    jmp test_end
.no_test:
    ret

; test_catch_exception: when the running test expects this exception, record it and end the test.
; Returns only otherwise (also when the exception happened while a panic was being reported).
; IN: rdi = register frame. OUT: nothing. Clobbers: rax, rcx.
test_catch_exception:
    cmp qword [rel panic_depth], 0
    jne .not_ours                           ; a fault while reporting a panic is a nested panic
    mov rcx, [rel test_current]
    test rcx, rcx
    jz .not_ours
    cmp qword [rcx + test_record.expect], TEST_EXPECT_EXCEPTION
    jne .not_ours
    mov rax, [rdi + frame.vector]
    cmp rax, [rcx + test_record.vector]
    jne .not_ours
    mov [rel test_caught_vector], rax
    mov rax, [rdi + frame.error]
    mov [rel test_caught_error], rax
    mov rax, cr2
    mov [rel test_caught_cr2], rax
    mov rax, [rdi + frame.rip]
    mov [rel test_caught_rip], rax
    mov [rel test_caught_frame], rdi
    lea rdi, [rel test_recovery]
    mov esi, OUTCOME_EXCEPTION
    jmp klongjmp
.not_ours:
    ret

; test_fail_values: an equality assertion failed. Does not return.
; IN: rdi = file, esi = line, rdx = expected, rcx = actual.
test_fail_values:
    push rcx                                ; 7th argument: actual, for %p
    push rcx                                ; (twice, keeping rsp 16-byte aligned)
    mov r9, rcx                             ; actual, for %d
    mov r8, rdx                             ; expected, for %p
    mov rcx, rdx                            ; expected, for %d
    mov edx, esi                            ; line
    mov rsi, rdi                            ; file
    lea rdi, [rel test_fail_values_format]
    call test_note
    jmp test_fail_end

; test_fail_not_equal: an inequality assertion failed. Does not return.
; IN: rdi = file, esi = line, rdx = the value that should not have come out.
test_fail_not_equal:
    mov rcx, rdx
    mov r8, rdx
    mov edx, esi
    mov rsi, rdi
    lea rdi, [rel test_fail_not_equal_format]
    call test_note
    jmp test_fail_end

; test_fail_strings: a string assertion failed. Does not return.
; IN: rdi = file, esi = line, rdx = expected string, rcx = actual string.
test_fail_strings:
    mov r8, rcx
    mov rcx, rdx
    mov edx, esi
    mov rsi, rdi
    lea rdi, [rel test_fail_strings_format]
    call test_note
test_fail_end:
    cmp qword [rel test_current], 0
    je .no_test
    mov esi, OUTCOME_ASSERTION
    jmp test_end
.no_test:
    mov edi, DEBUG_EXIT_FAILURE
    call qemu_exit

; test_end: end the running test with an outcome. In the thread that runs the tests, that is a jump
; back to the runner; in a thread a test started, the thread exits (join returns TEST_THREAD_FAILED)
; and the test is failed once it returns. Does not return.
; IN: esi = outcome (OUTCOME_ASSERTION or OUTCOME_PANICKED).
test_end:
    mov rax, [rel current_thread]
    test rax, rax
    jz .runner
    lea rcx, [rel boot_thread]
    cmp rax, rcx
    je .runner
    mov [rel test_thread_outcome], rsi
    mov rdi, TEST_THREAD_FAILED
    jmp thread_exit
.runner:
    lea rdi, [rel test_recovery]
    jmp klongjmp

; test_diagnostic_reset: empty the running test's diagnostics.
; IN: nothing. OUT: nothing. Clobbers: rax, rcx, rdi.
test_diagnostic_reset:
    lea rdi, [rel test_diagnostic]
    mov [rel test_diagnostic_sink + buffer_sink.next], rdi
    mov qword [rel test_diagnostic_sink + buffer_sink.remaining], TEST_DIAGNOSTIC_SIZE
    mov ecx, TEST_DIAGNOSTIC_SIZE / 8
    xor eax, eax
    rep stosq
    ret

; test_note: append formatted text to the running test's diagnostics (kept 0-terminated; text past
; the buffer is dropped).
; IN: rdi = format, rsi, rdx, rcx, r8, r9, stack = arguments. OUT: nothing. Clobbers: caller-saved.
test_note:
    VARIADIC_PROLOGUE 1
    lea rcx, [rbp - VA_CURSOR_OFFSET]
    mov rdx, rdi
    lea rdi, [rel buffer_sink_put]
    lea rsi, [rel test_diagnostic_sink]
    call format
    leave
    ret

; string_equals: compare two 0-terminated strings.
; IN: rdi, rsi = strings. OUT: eax = 1 when equal, else 0. Clobbers: rcx, rdx.
string_equals:
    xor ecx, ecx
.next:
    mov dl, [rdi + rcx]
    cmp dl, [rsi + rcx]
    jne .different
    inc rcx
    test dl, dl
    jnz .next
    mov eax, 1
    ret
.different:
    xor eax, eax
    ret

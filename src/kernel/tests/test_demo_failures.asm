; Tests that fail on purpose, to check the runner itself: only built with -D KTEST_DEMO_FAILURES
; (tests/kernel/boot.test.ts). Every one must be reported as "not ok" with its diagnostic, and the
; tests after it must still run.

section .rodata
demo_expected_text: db "expected", 0
demo_actual_text:   db "actual", 0
demo_panic_text:    db "unexpected panic in a demo test", 0

section .text

TEST "demo: ASSERT_EQ failure reports file:line, expected and actual", demo_assert_eq_fails
demo_assert_eq_fails:
    push rbp
    mov rbp, rsp
    mov ecx, 41
    ASSERT_EQ rcx, 42
    pop rbp
    ret

TEST "demo: ASSERT_STR_EQ failure shows both strings", demo_assert_str_fails
demo_assert_str_fails:
    push rbp
    mov rbp, rsp
    lea rcx, [rel demo_actual_text]
    lea rdx, [rel demo_expected_text]
    ASSERT_STR_EQ rcx, rdx
    pop rbp
    ret

TEST "demo: an unexpected panic fails the test", demo_unexpected_panic
demo_unexpected_panic:
    push rbp
    mov rbp, rsp
    lea rdi, [rel demo_panic_text]
    call panic

TEST_SHOULD_PANIC "demo: a should-panic test that returns fails", demo_returns_instead_of_panicking
demo_returns_instead_of_panicking:
    ret

TEST_EXPECT_EXCEPTION "demo: an expected exception that never comes fails", demo_no_exception, VECTOR_PAGE_FAULT, 0
demo_no_exception:
    ret

TEST_EXPECT_EXCEPTION "demo: an unexpected exception fails the test", demo_wrong_exception, VECTOR_PAGE_FAULT, 0
demo_wrong_exception:
    push rbp
    mov rbp, rsp
    ud2

TEST "demo: an unexpected page fault is decoded and fails the test", demo_unexpected_page_fault
demo_unexpected_page_fault:
    push rbp
    mov rbp, rsp
    mov rax, SCRATCH_BASE + 0xabc000
    mov qword [rax], 1

TEST "demo: an assertion failing in a thread the test started fails the test", demo_thread_assertion
demo_thread_assertion:
    push rbp
    mov rbp, rsp
    lea rdi, [rel demo_thread_body]
    xor esi, esi
    lea rdx, [rel demo_thread_name]
    call thread_create
    mov rdi, rax
    call thread_join                        ; returns: only the thread ended
    pop rbp
    ret
[section .rodata]
demo_thread_name:   db "demo-thread", 0
section .text
demo_thread_body:
    push rbp
    mov rbp, rsp
    mov ecx, 7
    ASSERT_EQ rcx, 8
    pop rbp
    ret

TEST "demo: a panic in a thread the test started fails the test; the report names the thread", demo_thread_panic
demo_thread_panic:
    push rbp
    mov rbp, rsp
    lea rdi, [rel demo_thread_panicking]
    xor esi, esi
    lea rdx, [rel demo_panicker_name]
    call thread_create
    mov rdi, rax
    call thread_join
    pop rbp
    ret
[section .rodata]
demo_panicker_name: db "demo-panicker", 0
demo_thread_panic_text: db "deliberate panic in a test's thread", 0
section .text
demo_thread_panicking:
    push rbp
    mov rbp, rsp
    lea rdi, [rel demo_thread_panic_text]
    call panic

TEST "demo: a passing test after the failures still runs", demo_passes
demo_passes:
    ret

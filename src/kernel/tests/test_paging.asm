; Tests: the kernel page tables (layout, permissions, guard pages) and map/unmap/translate.

PAGING_TEST_PAGE    equ SCRATCH_BASE + 0x10000
PAGING_TEST_MAGIC   equ 0x0123456789abcdef

section .text

; page_entry_of: the 4 KiB page-table entry mapping an address (0 when there is none).
; IN: rdi = virtual address. OUT: rax = entry value. Clobbers: caller-saved registers.
page_entry_of:
    xor esi, esi
    mov edx, 1
    call page_table_entry
    test rax, rax
    jz .none
    mov rax, [rax]
.none:
    ret

TEST "paging: translate follows the HHDM and the kernel image", test_paging_translate
test_paging_translate:
    push rbp
    mov rbp, rsp
    mov rdi, [rel hhdm_offset]
    add rdi, 0x5123
    call translate
    ASSERT_EQ rax, 0x5123
    lea rdi, [rel kmain]
    call translate
    lea rcx, [rel kmain]
    sub rcx, [rel kernel_virtual_base]
    add rcx, [rel kernel_physical_base]
    ASSERT_EQ rax, rcx
    mov rdi, SCRATCH_BASE
    call translate
    ASSERT_EQ rax, PAGING_ERROR
    pop rbp
    ret

TEST "paging: text is read+execute, rodata read-only NX, data read+write NX", test_paging_w_xor_x
test_paging_w_xor_x:
    push rbp
    mov rbp, rsp
    push rbx
    mov rbx, PTE_PRESENT | PTE_WRITABLE | PTE_NX
    lea rdi, [rel kmain]
    call page_entry_of
    and rax, rbx
    ASSERT_EQ rax, PTE_PRESENT
    lea rdi, [rel format_hex_digits]
    call page_entry_of
    and rax, rbx
    mov rcx, PTE_PRESENT | PTE_NX
    and rcx, [rel pte_nx]
    or rcx, PTE_PRESENT
    ASSERT_EQ rax, rcx
    lea rdi, [rel log_level]
    call page_entry_of
    and rax, rbx
    mov rcx, PTE_PRESENT | PTE_WRITABLE
    or rcx, [rel pte_nx]
    ASSERT_EQ rax, rcx
    pop rbx
    pop rbp
    ret

TEST "paging: the page under every kernel stack is unmapped", test_paging_guard_pages
test_paging_guard_pages:
    push rbp
    mov rbp, rsp
    lea rdi, [rel kernel_stack_guard]
    call translate
    ASSERT_EQ rax, PAGING_ERROR
    lea rdi, [rel double_fault_stack_guard]
    call translate
    ASSERT_EQ rax, PAGING_ERROR
    lea rdi, [rel nmi_stack_guard]
    call translate
    ASSERT_EQ rax, PAGING_ERROR
    lea rdi, [rel machine_check_stack_guard]
    call translate
    ASSERT_EQ rax, PAGING_ERROR
    lea rdi, [rel kernel_stack]
    call translate
    ASSERT_NE rax, PAGING_ERROR
    pop rbp
    ret

TEST "paging: map_page, write, read back through the HHDM, unmap_page", test_paging_map_unmap
test_paging_map_unmap:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call alloc_frame
    mov rbx, rax
    ASSERT_NE rbx, 0
    mov rdi, PAGING_TEST_PAGE
    mov rsi, rbx
    mov rdx, PTE_WRITABLE
    call map_page
    ASSERT_EQ rax, 0
    mov rax, PAGING_TEST_PAGE + 8
    mov rcx, PAGING_TEST_MAGIC
    mov [rax], rcx
    mov r12, rbx
    add r12, [rel hhdm_offset]
    mov rcx, PAGING_TEST_MAGIC
    ASSERT_EQ [r12 + 8], rcx
    mov rdi, PAGING_TEST_PAGE + 0x123
    call translate
    lea rcx, [rbx + 0x123]
    ASSERT_EQ rax, rcx
    mov rdi, PAGING_TEST_PAGE
    call unmap_page
    ASSERT_EQ rax, rbx
    mov rdi, PAGING_TEST_PAGE
    call translate
    ASSERT_EQ rax, PAGING_ERROR
    mov rdi, PAGING_TEST_PAGE
    call unmap_page
    ASSERT_EQ rax, PAGING_ERROR
    mov rdi, rbx
    call free_frame
    pop r12
    pop rbx
    pop rbp
    ret

TEST_EXPECT_EXCEPTION "paging: touching a page after unmap_page faults (the TLB was flushed)", test_paging_unmap_faults, VECTOR_PAGE_FAULT, check_paging_unmap_faults
test_paging_unmap_faults:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call alloc_frame
    mov rbx, rax
    mov rdi, PAGING_TEST_PAGE
    mov rsi, rbx
    mov rdx, PTE_WRITABLE
    call map_page
    mov rax, PAGING_TEST_PAGE
    mov qword [rax], 1                      ; loads the translation into the TLB
    mov rdi, PAGING_TEST_PAGE
    call unmap_page
    mov rdi, rbx
    call free_frame
    mov rax, PAGING_TEST_PAGE + 0x40
    mov rax, [rax]                          ; must fault
    pop r12
    pop rbx
    pop rbp
    ret
check_paging_unmap_faults:
    push rbp
    mov rbp, rsp
    mov rcx, PAGING_TEST_PAGE + 0x40
    ASSERT_EQ [rel test_caught_cr2], rcx
    pop rbp
    ret

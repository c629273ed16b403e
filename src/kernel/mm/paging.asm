; Paging: the kernel's own 4-level page tables. paging_init maps the HHDM (2 MiB pages, no execute),
; the kernel's segments with W^X (text read+execute, rodata read-only, data read+write, both NX),
; leaves every stack guard page unmapped, creates every upper-half PML4 entry (so each process's
; PML4 can share the kernel half by copying it once), and switches CR3. map_page/unmap_page/
; translate work on the live tables (CR3: the kernel's, or the running process's) and invalidate the
; TLB entry they change; tables made for the lower half are user-accessible (the leaf decides).

PAGING_ERROR            equ -1
HHDM_MIN_SIZE           equ 0x100000000     ; map at least 4 GiB of physical memory, as Limine does
PML4_SHIFT              equ 39
PDPT_SHIFT              equ 30
PD_SHIFT                equ 21
PT_SHIFT                equ 12
TABLE_INDEX_MASK        equ 0x1ff

section .bss
kernel_pml4:        resq 1      ; physical address of the kernel's PML4 (kernel threads run on it)
paging_active:      resq 1      ; 1 once CR3 holds our tables
pte_nx:             resq 1      ; PTE_NX when the CPU supports no-execute, else 0
hhdm_size:          resq 1      ; bytes of physical memory our HHDM maps (from physical 0)
mmio_next:          resq 1      ; next free virtual page of the MMIO region

section .rodata
paging_no_memory_format:    db "paging: out of frames while building the kernel page tables", 0
paging_hhdm_align_format:   db "paging: HHDM offset %p is not 2 MiB aligned", 0
paging_mmio_full_format:    db "paging: no room to map MMIO at %p", 0

section .text

; paging_detect_nx: turn on EFER.NXE when the CPU has no-execute pages; remember whether it does.
; IN: nothing. OUT: nothing. Clobbers: rax, rcx, rdx.
paging_detect_nx:
    push rbx
    mov qword [rel pte_nx], 0
    mov eax, CPUID_EXTENDED_FEATURES
    cpuid
    test edx, CPUID_EXT_EDX_NX
    jz .done
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_NXE
    wrmsr
    mov rax, PTE_NX
    mov [rel pte_nx], rax
.done:
    pop rbx
    ret

; alloc_zeroed_frame: a frame full of zeros.
; IN: nothing. OUT: rax = physical address, or 0 when memory is exhausted. Clobbers: rcx, rdx, rsi, rdi.
alloc_zeroed_frame:
    call alloc_frame
    test rax, rax
    jz .done
    mov rdx, rax
    mov rdi, rax
    add rdi, [rel hhdm_offset]
    mov ecx, PAGE_SIZE / 8
    xor eax, eax
    rep stosq
    mov rax, rdx
.done:
    ret

; page_table_next: follow (or create) the table an entry points to.
; IN: rdi = virtual address of the entry, esi = 1 to create a missing table, 0 not to.
; OUT: rax = virtual address (HHDM) of the next table, or 0 when missing, huge, or out of memory.
; Clobbers: rcx, rdx, rsi, rdi, r8.
page_table_next:
    mov rax, [rdi]
    test rax, PTE_PRESENT
    jz .missing
    test rax, PTE_HUGE
    jnz .none
.follow:
    mov rcx, PTE_ADDRESS_MASK
    and rax, rcx
    add rax, [rel hhdm_offset]
    ret
.missing:
    test esi, esi
    jz .none
    mov r8, rdi
    call alloc_zeroed_frame
    test rax, rax
    jz .none
    or rax, PTE_PRESENT | PTE_WRITABLE
    mov [r8], rax
    jmp .follow
.none:
    xor eax, eax
    ret

; live_pml4_physical: the PML4 the page-table routines work on: CR3's once our tables are live,
; the one paging_init is building before that.
; IN: nothing. OUT: rax = physical address. Clobbers: nothing else.
live_pml4_physical:
    cmp qword [rel paging_active], 0
    je .building
    mov rax, cr3
    and rax, -PAGE_SIZE
    ret
.building:
    mov rax, [rel kernel_pml4]
    ret

; live_pml4: the same, as a virtual address. IN: nothing. OUT: rax. Clobbers: nothing else.
live_pml4:
    call live_pml4_physical
    add rax, [rel hhdm_offset]
    ret

; page_table_entry: find the entry mapping a virtual address at a level, creating tables on the way.
; IN: rdi = virtual address, esi = 1 to create missing tables, edx = level of the wanted entry
;     (1 = PT entry for a 4 KiB page, 2 = PD entry for a 2 MiB page).
; OUT: rax = virtual address of the entry, or 0. Clobbers: caller-saved registers.
page_table_entry:
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    mov r12d, esi
    mov r13d, edx
    call live_pml4
    mov ecx, PML4_SHIFT
    mov r14d, 4                             ; current level
.level:
    mov rdx, rbx
    shr rdx, cl
    and edx, TABLE_INDEX_MASK
    lea rdi, [rax + rdx * 8]                ; entry at this level
    cmp r14d, r13d
    je .found
    push rcx
    push rdi
    mov esi, r12d
    call page_table_next
    pop rdi
    pop rcx
    test rax, rax
    jz .done
    ; Below the canonical hole the path to a page must allow user access; the leaf entry decides.
    bt rbx, 63
    jc .next_level
    or qword [rdi], PTE_USER
.next_level:
    sub ecx, 9
    dec r14d
    jmp .level
.found:
    mov rax, rdi
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    ret

; map_page: map one 4 KiB page.
; IN: rdi = virtual address, rsi = physical address, rdx = extra PTE bits (PTE_WRITABLE, PTE_NX, PTE_USER).
; OUT: rax = 0, or PAGING_ERROR when a table could not be allocated or a huge page is in the way.
; Clobbers: caller-saved registers.
map_page:
    push rbx
    push r12
    push r13
    mov rbx, rdi
    mov r12, rsi
    mov r13, rdx
    mov esi, 1
    mov edx, 1
    call page_table_entry
    test rax, rax
    jz .failed
    mov rcx, PTE_ADDRESS_MASK
    and r12, rcx
    or r12, r13
    or r12, PTE_PRESENT
    mov [rax], r12
    invlpg [rbx]
    xor eax, eax
    jmp .done
.failed:
    mov rax, PAGING_ERROR
.done:
    pop r13
    pop r12
    pop rbx
    ret

; map_huge_page: map one 2 MiB page (both addresses 2 MiB aligned).
; IN: rdi = virtual address, rsi = physical address, rdx = extra entry bits.
; OUT: rax = 0 or PAGING_ERROR. Clobbers: caller-saved registers.
map_huge_page:
    push rbx
    push r12
    push r13
    mov rbx, rdi
    mov r12, rsi
    mov r13, rdx
    mov esi, 1
    mov edx, 2
    call page_table_entry
    test rax, rax
    jz .failed
    or r12, r13
    or r12, PTE_PRESENT | PTE_HUGE
    mov [rax], r12
    invlpg [rbx]
    xor eax, eax
    jmp .done
.failed:
    mov rax, PAGING_ERROR
.done:
    pop r13
    pop r12
    pop rbx
    ret

; unmap_page: remove a 4 KiB mapping.
; IN: rdi = virtual address. OUT: rax = physical address it mapped, or PAGING_ERROR when unmapped.
; Clobbers: caller-saved registers.
unmap_page:
    push rbx
    mov rbx, rdi
    xor esi, esi
    mov edx, 1
    call page_table_entry
    test rax, rax
    jz .not_mapped
    mov rdx, [rax]
    test rdx, PTE_PRESENT
    jz .not_mapped
    mov qword [rax], 0
    invlpg [rbx]
    mov rax, PTE_ADDRESS_MASK
    and rax, rdx
    pop rbx
    ret
.not_mapped:
    mov rax, PAGING_ERROR
    pop rbx
    ret

; translate: the physical address a virtual address maps to (4 KiB, 2 MiB and 1 GiB pages).
; IN: rdi = virtual address. OUT: rax = physical address, or PAGING_ERROR when not mapped.
; Clobbers: rcx, rdx, rsi, rdi, r8.
translate:
    call live_pml4_physical
    mov rsi, rax
    mov ecx, PML4_SHIFT
.level:
    add rsi, [rel hhdm_offset]
    mov rdx, rdi
    shr rdx, cl
    and edx, TABLE_INDEX_MASK
    mov rax, [rsi + rdx * 8]
    test rax, PTE_PRESENT
    jz .not_mapped
    cmp ecx, PT_SHIFT
    je .page
    test rax, PTE_HUGE
    jnz .page
    mov rsi, PTE_ADDRESS_MASK
    and rsi, rax
    sub ecx, 9
    jmp .level
.page:
    ; The page covers 1 << cl bytes: frame bits from the entry, offset bits from the address.
    mov r8, 1
    shl r8, cl
    dec r8                                  ; offset mask
    mov rdx, PTE_ADDRESS_MASK
    and rax, rdx
    mov rdx, r8
    not rdx
    and rax, rdx
    and rdi, r8
    or rax, rdi
    ret
.not_mapped:
    mov rax, PAGING_ERROR
    ret

; is_guard_page: whether a kernel page must stay unmapped (the page under a stack).
; IN: rdi = virtual address of the page. OUT: eax = 1 for a guard page, else 0. Clobbers: rcx.
is_guard_page:
    xor eax, eax
    lea rcx, [rel kernel_stack_guard]
    cmp rdi, rcx
    je .guard
    lea rcx, [rel double_fault_stack_guard]
    cmp rdi, rcx
    je .guard
    lea rcx, [rel nmi_stack_guard]
    cmp rdi, rcx
    je .guard
    lea rcx, [rel machine_check_stack_guard]
    cmp rdi, rcx
    je .guard
    ret
.guard:
    mov eax, 1
    ret

; map_kernel_range: map part of the kernel image at its link address, skipping guard pages.
; IN: rdi = first virtual address (page aligned), rsi = end virtual address, rdx = extra PTE bits.
; OUT: nothing (panics when out of memory). Clobbers: caller-saved registers.
map_kernel_range:
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    mov r12, rsi
    mov r13, rdx
.next:
    cmp rbx, r12
    jae .done
    mov rdi, rbx
    call is_guard_page
    test eax, eax
    jnz .skip
    mov rsi, rbx
    sub rsi, [rel kernel_virtual_base]
    add rsi, [rel kernel_physical_base]
    mov rdi, rbx
    mov rdx, r13
    call map_page
    test rax, rax
    jnz .no_memory
.skip:
    add rbx, PAGE_SIZE
    jmp .next
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    ret
.no_memory:
    lea rdi, [rel paging_no_memory_format]
    call panic

; paging_init: build the kernel's page tables and switch to them.
; IN: rdi = end of the highest memory-map entry (bytes). OUT: nothing. Clobbers: caller-saved registers.
paging_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r14, rdi
    call paging_detect_nx
    mov rax, [rel hhdm_offset]
    test rax, HUGE_PAGE_2M - 1
    jnz .misaligned_hhdm
    call alloc_zeroed_frame
    test rax, rax
    jz .no_memory
    mov [rel kernel_pml4], rax

    ; HHDM: physical 0 .. max(4 GiB, end of memory map), 2 MiB pages, read/write, no execute.
    mov rax, HHDM_MIN_SIZE
    cmp r14, rax
    cmovb r14, rax
    add r14, HUGE_PAGE_2M - 1
    and r14, -HUGE_PAGE_2M
    mov [rel hhdm_size], r14
    xor ebx, ebx
.hhdm:
    cmp rbx, r14
    jae .kernel
    mov rdi, rbx
    add rdi, [rel hhdm_offset]
    mov rsi, rbx
    mov rdx, [rel pte_nx]
    or rdx, PTE_WRITABLE
    call map_huge_page
    test rax, rax
    jnz .no_memory
    add rbx, HUGE_PAGE_2M
    jmp .hhdm

.kernel:
    lea rdi, [rel __text_start]
    lea rsi, [rel __text_end]
    xor edx, edx                            ; read + execute
    call map_kernel_range
    lea rdi, [rel __rodata_start]
    lea rsi, [rel __rodata_end]
    mov rdx, [rel pte_nx]                   ; read only
    call map_kernel_range
    lea rdi, [rel __data_start]
    lea rsi, [rel __data_end]
    mov rdx, [rel pte_nx]
    or rdx, PTE_WRITABLE                    ; read + write
    call map_kernel_range

    ; Every upper-half PML4 entry exists from now on: a process's PML4 copies them once.
    mov ebx, ENTRIES_PER_TABLE / 2
.upper_half:
    mov rdi, [rel kernel_pml4]
    add rdi, [rel hhdm_offset]
    lea r12, [rdi + rbx * 8]
    test qword [r12], PTE_PRESENT
    jnz .upper_next
    call alloc_zeroed_frame
    test rax, rax
    jz .no_memory
    or rax, PTE_PRESENT | PTE_WRITABLE
    mov [r12], rax
.upper_next:
    inc ebx
    cmp ebx, ENTRIES_PER_TABLE
    jb .upper_half

    mov rax, [rel kernel_pml4]
    mov cr3, rax
    mov qword [rel paging_active], 1
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
.no_memory:
    lea rdi, [rel paging_no_memory_format]
    call panic
.misaligned_hhdm:
    lea rdi, [rel paging_hhdm_align_format]
    mov rsi, rax
    call panic

; phys_to_virt: the HHDM address of a physical range, when our HHDM covers all of it.
; IN: rdi = physical address, rsi = length. OUT: rax = virtual address, or 0 when the range lies
; (partly) outside the HHDM. Clobbers: rcx.
phys_to_virt:
    mov rcx, rdi
    add rcx, rsi
    jc .outside
    cmp rcx, [rel hhdm_size]
    ja .outside
    mov rax, rdi
    add rax, [rel hhdm_offset]
    ret
.outside:
    xor eax, eax
    ret

; map_mmio: map device registers uncached (PCD|PWT), read/write, no execute, into the MMIO region.
; The HHDM maps them write-back and, under Limine base revision 3, not at all: device registers
; always go through here.
; IN: rdi = physical address, rsi = length in bytes. OUT: rax = virtual address of the physical
; address (same offset in the page). Panics when the region is full or a page table cannot be had.
; Clobbers: caller-saved registers.
map_mmio:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r14, rdi
    mov rbx, rdi
    and rbx, -PAGE_SIZE                     ; first physical page
    lea r12, [rdi + rsi + PAGE_SIZE - 1]
    and r12, -PAGE_SIZE                     ; end of the last physical page
    mov r13, [rel mmio_next]
    test r13, r13
    jnz .have_next
    mov r13, MMIO_BASE
.have_next:
    mov rax, r12
    sub rax, rbx
    add rax, r13
    mov rcx, MMIO_LIMIT
    cmp rax, rcx
    ja .full
    mov [rel mmio_next], rax
    push r13                                ; virtual address of the first page
    push r13
.page:
    cmp rbx, r12
    jae .mapped
    mov rdi, r13
    mov rsi, rbx
    mov rdx, [rel pte_nx]
    or rdx, PTE_WRITABLE | PTE_WRITE_THROUGH | PTE_CACHE_DISABLE
    call map_page
    test rax, rax
    jnz .no_memory
    add rbx, PAGE_SIZE
    add r13, PAGE_SIZE
    jmp .page
.mapped:
    pop rax
    pop rax
    mov rcx, r14
    and rcx, PAGE_OFFSET_MASK
    add rax, rcx
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
.full:
    lea rdi, [rel paging_mmio_full_format]
    mov rsi, r14
    call panic
.no_memory:
    lea rdi, [rel paging_no_memory_format]
    call panic

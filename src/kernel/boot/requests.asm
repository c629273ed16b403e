; The Limine requests this kernel makes, between the start and end markers (base revision 2 honours them).
; Every response pointer starts as 0; code must check it before use (see boot/boot_info.asm).

; Built with -D KTEST_UNANSWERED_REQUESTS (tests/kernel/boot.test.ts), every optional request gets an
; ID no bootloader knows, to check that the kernel reports missing responses instead of using them.
%ifdef KTEST_UNANSWERED_REQUESTS
OPTIONAL_REQUEST_ID_FLIP equ 1
%else
OPTIONAL_REQUEST_ID_FLIP equ 0
%endif

section .requests_start_marker progbits alloc write noexec align=8
    align 8
limine_requests_start_marker:
    dq 0xf6b8f4b39de7d1ae, 0xfab91a6940fcb9cf, 0x785c6ed015d3e316, 0x181e920a7852b9d9

section .requests progbits alloc write noexec align=8
    align 8
; The bootloader sets the third word to 0 when it supports the revision we ask for.
limine_base_revision:
    dq LIMINE_BASE_REVISION_MAGIC_0, LIMINE_BASE_REVISION_MAGIC_1, LIMINE_WANTED_BASE_REVISION

    LIMINE_REQUEST bootloader_info_request, 0xf55038d8e2a1202f ^ OPTIONAL_REQUEST_ID_FLIP, 0x279426fcf5f59740, 0
    LIMINE_REQUEST firmware_type_request,   0x8c2f75d90bef28a8 ^ OPTIONAL_REQUEST_ID_FLIP, 0x7045a4688eac00c3, 0
    LIMINE_REQUEST hhdm_request,            0x48dcf1cb8ad2b852, 0x63984e959a98244b, 0
    LIMINE_REQUEST memmap_request,          0x67cf3d9d378a806f, 0xe304acdfc50c3c62, 0
    LIMINE_REQUEST framebuffer_request,     0x9d5827dcd881dd75 ^ OPTIONAL_REQUEST_ID_FLIP, 0xa3148604f6fab11b, 0
    LIMINE_REQUEST kernel_address_request,  0x71ba76863cc55f63, 0xb2644a48c516a487, 0
    LIMINE_REQUEST kernel_file_request,     0xad97e90e83f1ed67 ^ OPTIONAL_REQUEST_ID_FLIP, 0x31eb5d1c5ff23b69, 0
    LIMINE_REQUEST rsdp_request,            0xc5e77b6b397e7b43 ^ OPTIONAL_REQUEST_ID_FLIP, 0x27637845accdcf3c, 0
    LIMINE_REQUEST stack_size_request,      0x224ef0460a8e8926 ^ OPTIONAL_REQUEST_ID_FLIP, 0xe1cb0fc25f46ea3d, 0
    dq BOOT_STACK_SIZE                          ; stack_size
    LIMINE_REQUEST module_request,          0x3e7e279702be32af ^ OPTIONAL_REQUEST_ID_FLIP, 0xca1c4f3bd1280cee, 0
    LIMINE_REQUEST paging_mode_request,     0x95c1a0edab0944cb ^ OPTIONAL_REQUEST_ID_FLIP, 0xa4e5cb3842f7488a, 1
    dq LIMINE_PAGING_MODE_X86_64_4LVL           ; mode: our page-table code walks 4 levels
    dq LIMINE_PAGING_MODE_X86_64_4LVL           ; max_mode
    dq LIMINE_PAGING_MODE_X86_64_4LVL           ; min_mode

section .requests_end_marker progbits alloc write noexec align=8
    align 8
limine_requests_end_marker:
    dq 0xadc0e0531bb10d03, 0x9572709f31764c62

BOOT_STACK_SIZE equ 64 * 1024

section .text

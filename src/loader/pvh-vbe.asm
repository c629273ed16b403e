; pvh-vbe.asm — the PVH platform's framebuffer: QEMU's std VGA or bochs-display (PCI vendor
; 0x1234, device 0x1111), programmed through its Bochs VBE "dispi" registers: the MMIO ones
; in BAR2 when it has them, else I/O ports 0x1ce/0x1cf. BAR0 is the linear framebuffer.
; Mode: limine.conf's resolution when it fits (32 bpp only), else the preferred mode of the
; EDID QEMU keeps at the start of BAR2 (what OVMF and Limine pick too), else 1024x768 (Limine's
; fallback); pixels are xRGB.

PCI_ADDRESS             equ 0xcf8
PCI_DATA                equ 0xcfc
PCI_ENABLE              equ 0x80000000
PCI_COMMAND             equ 0x04
PCI_CLASS               equ 0x08
PCI_BAR0                equ 0x10
PCI_BAR2                equ 0x18
PCI_COMMAND_MEMORY      equ 1 << 1
PCI_BAR_IO              equ 1 << 0
PCI_BAR_64BIT           equ 0x4
PCI_CLASS_DISPLAY       equ 0x03
PCI_CLASS_BRIDGE_PCI    equ 0x0604      ; class and subclass
PCI_BRIDGE_BUSES        equ 0x18        ; primary, secondary, subordinate bus
BOCHS_VGA_ID            equ 0x11111234  ; device << 16 | vendor
VBE_DISPI_INDEX_PORT    equ 0x1ce
VBE_DISPI_DATA_PORT     equ 0x1cf
VBE_DISPI_MMIO_OFFSET   equ 0x500       ; in BAR2: the registers as 16-bit words
VBE_DISPI_ID            equ 0
VBE_DISPI_XRES          equ 1
VBE_DISPI_YRES          equ 2
VBE_DISPI_BPP           equ 3
VBE_DISPI_ENABLE        equ 4
VBE_DISPI_VIRT_WIDTH    equ 6
VBE_DISPI_VIRT_HEIGHT   equ 7
VBE_DISPI_X_OFFSET      equ 8
VBE_DISPI_Y_OFFSET      equ 9
VBE_DISPI_VIDEO_MEMORY_64K equ 0xa
VBE_DISPI_ID_MIN        equ 0xb0c0
VBE_DISPI_ENABLED       equ 0x01
VBE_DISPI_LFB_ENABLED   equ 0x40
DEFAULT_WIDTH           equ 1024
DEFAULT_HEIGHT          equ 768
EDID_HEADER_LOW         equ 0xffffff00  ; 00 ff ff ff ff ff ff 00
EDID_HEADER_HIGH        equ 0x00ffffff
EDID_PREFERRED_TIMING   equ 54          ; the first detailed timing descriptor
VBE_BPP                 equ 32

section .text

; pci_read — IN: ecx = bus << 16 | device << 11 | function << 8, edx = register.
; OUT: eax. Clobbers edx.
pci_read:
    lea eax, [ecx + edx + PCI_ENABLE]
    mov dx, PCI_ADDRESS
    out dx, eax
    mov dx, PCI_DATA
    in eax, dx
    ret

; pci_write — IN: ecx as for pci_read, edx = register, r8d = value. Clobbers eax, edx.
pci_write:
    lea eax, [ecx + edx + PCI_ENABLE]
    mov dx, PCI_ADDRESS
    out dx, eax
    mov dx, PCI_DATA
    mov eax, r8d
    out dx, eax
    ret

; dispi_read / dispi_write — IN: ecx = register; dispi_write: eax = value. dispi_read OUT:
; eax. Clobber edx.
dispi_read:
    mov rdx, [rel dispi_mmio]
    test rdx, rdx
    jz .ports
    movzx eax, word [rdx + rcx*2]
    ret
.ports:
    mov eax, ecx
    mov dx, VBE_DISPI_INDEX_PORT
    out dx, ax
    mov dx, VBE_DISPI_DATA_PORT
    in ax, dx
    movzx eax, ax
    ret
dispi_write:
    mov rdx, [rel dispi_mmio]
    test rdx, rdx
    jz .ports
    mov [rdx + rcx*2], ax
    ret
.ports:
    push rax
    mov eax, ecx
    mov dx, VBE_DISPI_INDEX_PORT
    out dx, ax
    pop rax
    mov dx, VBE_DISPI_DATA_PORT
    out dx, ax
    ret

; find_bochs_vga — the first Bochs VGA device of a display class on bus 0 or a bus behind
; a PCI-to-PCI bridge (buses are visited in the order their bridges are found; a full scan
; of 256 buses costs some 16 000 port accesses, milliseconds under TCG).
; OUT: ecx = its address (bus/device/function as for pci_read), eax = 1; eax = 0 if none.
find_bochs_vga:
    push rbx
    push rsi
    mov byte [rel pci_buses], 0
    mov esi, 1                          ; buses queued
    xor ebx, ebx                        ; bus being scanned (index in pci_buses)
.bus:
    cmp ebx, esi
    jae .none
    movzx ecx, byte [rel pci_buses + rbx]
    shl ecx, 16
.device:
    xor edx, edx
    call pci_read
    cmp ax, 0xffff
    je .next                            ; no device here
    cmp eax, BOCHS_VGA_ID
    jne .bridge
    mov edx, PCI_CLASS
    call pci_read
    shr eax, 24
    cmp eax, PCI_CLASS_DISPLAY
    jne .next
    mov eax, 1
    jmp .done
.bridge:
    mov edx, PCI_CLASS
    call pci_read
    shr eax, 16
    cmp eax, PCI_CLASS_BRIDGE_PCI
    jne .next
    mov edx, PCI_BRIDGE_BUSES
    call pci_read
    shr eax, 8                          ; the secondary bus number
    test al, al
    jz .next
    cmp esi, 256
    jae .next
    lea rdx, [rel pci_buses]
    mov [rdx + rsi], al
    inc esi
.next:
    add ecx, 1 << 11                    ; next device (function 0 only: the VGA is one)
    test ecx, 0x1f << 11
    jnz .device
    inc ebx
    jmp .bus
.none:
    xor eax, eax
.done:
    pop rsi
    pop rbx
    ret

; find_framebuffer — the Bochs VGA's linear framebuffer in its chosen mode.
; OUT: framebuffer_base/size/width/height/pitch, current_layout (base 0: no device).
find_framebuffer:
    FRAME
    call find_bochs_vga
    test eax, eax
    jz .none
    mov r12d, ecx
    mov edx, PCI_COMMAND
    call pci_read
    or eax, PCI_COMMAND_MEMORY
    and eax, 0xffff                     ; the status half is write-1-to-clear: leave it
    mov r8d, eax
    mov ecx, r12d
    mov edx, PCI_COMMAND
    call pci_write
    mov ecx, r12d
    mov edx, PCI_BAR0
    call pci_read
    test eax, PCI_BAR_IO
    jnz .none
    mov ebx, eax
    and ebx, -16
    test eax, PCI_BAR_64BIT
    jz .bar0_done
    mov ecx, r12d
    mov edx, PCI_BAR0 + 4
    call pci_read
    shl rax, 32
    or rbx, rax
.bar0_done:
    test rbx, rbx
    jz .none
    mov ecx, r12d
    mov edx, PCI_BAR2
    call pci_read
    test eax, PCI_BAR_IO
    jnz .ports
    and eax, -16
    jz .ports
    mov [rel vga_edid], rax
    add eax, VBE_DISPI_MMIO_OFFSET
    mov [rel dispi_mmio], rax
.ports:
    mov ecx, VBE_DISPI_ID
    call dispi_read
    cmp eax, VBE_DISPI_ID_MIN
    jb .none
    mov ecx, VBE_DISPI_VIDEO_MEMORY_64K
    call dispi_read
    shl eax, 16
    mov [rel vbe_memory], rax
    ; the mode: limine.conf's resolution when it fits in video memory, else the default
    call preferred_mode
    mov r13, rax
    mov r14, rdx
    call parse_resolution
    test eax, eax
    jz .chosen
    test r10, r10
    jz .any_depth
    cmp r10, VBE_BPP
    jne .chosen
.any_depth:
    mov rcx, r8
    mov rdx, r9
    call mode_fits
    test eax, eax
    jz .chosen
    mov r13, r8
    mov r14, r9
.chosen:
    mov ecx, VBE_DISPI_ENABLE
    xor eax, eax
    call dispi_write
    mov ecx, VBE_DISPI_XRES
    mov eax, r13d
    call dispi_write
    mov ecx, VBE_DISPI_YRES
    mov eax, r14d
    call dispi_write
    mov ecx, VBE_DISPI_BPP
    mov eax, VBE_BPP
    call dispi_write
    ; bochs-display (unlike std VGA) does not derive the virtual size from the resolution
    mov ecx, VBE_DISPI_VIRT_WIDTH
    mov eax, r13d
    call dispi_write
    mov ecx, VBE_DISPI_VIRT_HEIGHT
    mov eax, r14d
    call dispi_write
    mov ecx, VBE_DISPI_X_OFFSET
    xor eax, eax
    call dispi_write
    mov ecx, VBE_DISPI_Y_OFFSET
    xor eax, eax
    call dispi_write
    mov ecx, VBE_DISPI_ENABLE
    mov eax, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED
    call dispi_write
    ; what the device took
    mov ecx, VBE_DISPI_XRES
    call dispi_read
    mov [rel framebuffer_width], rax
    mov ecx, VBE_DISPI_YRES
    call dispi_read
    mov [rel framebuffer_height], rax
    mov ecx, VBE_DISPI_VIRT_WIDTH
    call dispi_read
    shl eax, 2                          ; 4 bytes a pixel
    mov [rel framebuffer_pitch], rax
    imul rax, [rel framebuffer_height]
    add rax, PAGE_SIZE - 1
    and rax, -PAGE_SIZE
    test rax, rax
    jz .none
    mov [rel framebuffer_size], rax
    mov [rel framebuffer_base], rbx
    lea rdi, [rel current_layout]
    call xrgb_layout
.none:
    UNFRAME

; preferred_mode — OUT: rax = width, rdx = height of the EDID's preferred timing when the
; device has an EDID and that mode fits, else the default. Clobbers rcx, r8.
preferred_mode:
    mov r8, [rel vga_edid]
    test r8, r8
    jz .default
    cmp dword [r8], EDID_HEADER_LOW
    jne .default
    cmp dword [r8 + 4], EDID_HEADER_HIGH
    jne .default
    lea r8, [r8 + EDID_PREFERRED_TIMING]
    cmp word [r8], 0
    je .default                         ; a pixel clock of 0: not a timing descriptor
    movzx ecx, byte [r8 + 2]            ; horizontal active: low 8 bits
    movzx eax, byte [r8 + 4]
    shr eax, 4                          ; and the high 4
    shl eax, 8
    or ecx, eax
    movzx edx, byte [r8 + 5]            ; vertical active: low 8 bits
    movzx eax, byte [r8 + 7]
    shr eax, 4
    shl eax, 8
    or edx, eax
    push rcx
    push rdx
    call mode_fits
    pop rdx
    pop rcx
    test eax, eax
    jz .default
    mov eax, ecx
    ret
.default:
    mov eax, DEFAULT_WIDTH
    mov edx, DEFAULT_HEIGHT
    ret

; mode_fits — IN: rcx = width, rdx = height. OUT: eax = 1 when a 32 bpp mode of that size
; fits in video memory (and the VBE limits), else 0.
mode_fits:
    xor eax, eax
    test rcx, rcx
    jz .done
    test rdx, rdx
    jz .done
    cmp rcx, 0xffff
    ja .done
    cmp rdx, 0xffff
    ja .done
    push rdx
    imul rdx, rcx
    shl rdx, 2
    cmp rdx, [rel vbe_memory]
    pop rdx
    ja .done
    mov eax, 1
.done:
    ret

; xrgb_layout — IN: rdi = 9 bytes: bpp (u16), memory model, red size/shift, green, blue.
xrgb_layout:
    mov word [rdi], VBE_BPP
    mov byte [rdi + 2], MEMORY_MODEL_RGB
    mov dword [rdi + 3], 0x08081008     ; red 8@16, green 8@8
    mov word [rdi + 7], 0x0008          ; blue 8@0
    ret

; list_video_modes — the common modes that fit in video memory, 32 bpp.
; IN: rbx = the struct limine_framebuffer (physical).
list_video_modes:
    FRAME
    mov ecx, VIDEO_MODE_COUNT * 8
    call arena_alloc
    mov r13, rax                        ; array of mode pointers
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov [rbx + FB_MODES], rax
    lea rsi, [rel video_modes]
    mov r12d, VIDEO_MODE_COUNT
.mode:
    movzx ecx, word [rsi]
    movzx edx, word [rsi + 2]
    call mode_fits
    test eax, eax
    jz .next
    mov ecx, VM_STRUCT_SIZE
    call arena_alloc
    mov rdi, rax
    movzx eax, word [rsi]
    mov [rdi + VM_WIDTH], rax
    shl eax, 2
    mov [rdi + VM_PITCH], rax
    movzx eax, word [rsi + 2]
    mov [rdi + VM_HEIGHT], rax
    push rdi
    lea rdi, [rdi + VM_BPP]
    call xrgb_layout
    pop rdi
    mov rax, [rel hhdm_offset]
    add rax, rdi
    mov rcx, [rbx + FB_MODE_COUNT]
    mov [r13 + rcx*8], rax
    inc qword [rbx + FB_MODE_COUNT]
.next:
    add rsi, 4
    dec r12d
    jnz .mode
    UNFRAME

section .data
align 8
dispi_mmio:         dq 0                ; the registers in BAR2, 0: use the I/O ports
vga_edid:           dq 0                ; BAR2, where QEMU keeps the EDID; 0: none
pci_buses:          times 256 db 0      ; buses to scan, bus 0 first
vbe_memory:         dq 0                ; bytes of video memory
video_modes:                            ; width, height
    dw 640, 480
    dw 800, 600
    dw 1024, 768
    dw 1280, 720
    dw 1280, 800
    dw 1280, 1024
    dw 1440, 900
    dw 1600, 900
    dw 1600, 1200
    dw 1920, 1080
    dw 1920, 1200
    dw 2560, 1440
VIDEO_MODE_COUNT    equ ($ - video_modes) / 4

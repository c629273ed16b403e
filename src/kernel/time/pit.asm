; The 8254 PIT, only as a calibration reference when there is no HPET: channel 2 (gated through
; port 0x61, its output readable there) counts down once in mode 0, interrupts never involved.

PIT_CHANNEL_2           equ 0x42
PIT_COMMAND             equ 0x43
PIT_GATE_PORT           equ 0x61
PIT_GATE_ENABLE         equ 1 << 0
PIT_SPEAKER_ENABLE      equ 1 << 1
PIT_CHANNEL_2_OUTPUT    equ 1 << 5
PIT_CHANNEL_2_MODE_0    equ 0xb0    ; channel 2, low then high byte, mode 0 (interrupt on terminal count), binary
PIT_FREQUENCY_HZ        equ 1193182

section .text

; pit_wait_ms: busy-wait a number of milliseconds on PIT channel 2.
; IN: edi = milliseconds (1-50: the 16-bit counter holds about 54 ms). OUT: nothing. Clobbers: rax, rcx, rdx.
pit_wait_ms:
    mov eax, PIT_FREQUENCY_HZ
    mul edi
    mov ecx, 1000
    div ecx
    mov ecx, eax                            ; count
    in al, PIT_GATE_PORT
    and al, ~(PIT_GATE_ENABLE | PIT_SPEAKER_ENABLE) & 0xff
    out PIT_GATE_PORT, al                   ; gate low: the count is loaded on the rising edge
    mov al, PIT_CHANNEL_2_MODE_0
    out PIT_COMMAND, al
    mov al, cl
    out PIT_CHANNEL_2, al
    mov al, ch
    out PIT_CHANNEL_2, al
    in al, PIT_GATE_PORT
    or al, PIT_GATE_ENABLE
    out PIT_GATE_PORT, al
.wait:
    in al, PIT_GATE_PORT
    test al, PIT_CHANNEL_2_OUTPUT
    jz .wait
    ret

section .rodata
font_8x8: times 95*8 db 0xff
section .text

; defs.asm — numbers the loader talks in: UEFI table offsets, GUIDs, Limine IDs,
; response layouts, ELF fields and paging bits. No code here, only names.

; ---------------------------------------------------------------- UEFI tables
EFI_ERROR_BIT                   equ 0x8000000000000000
EFI_BUFFER_TOO_SMALL            equ EFI_ERROR_BIT | 5
EFI_DEVICE_ERROR                equ EFI_ERROR_BIT | 7
EFI_NOT_FOUND                   equ EFI_ERROR_BIT | 14

; EFI_SYSTEM_TABLE
ST_FIRMWARE_VENDOR              equ 24
ST_CON_OUT                      equ 64
TABLE_HEADER_SIZE               equ 12       ; EFI_TABLE_HEADER.HeaderSize: the whole table
ST_RUNTIME_SERVICES             equ 88
ST_BOOT_SERVICES                equ 96
ST_CONFIG_TABLE_COUNT           equ 104
ST_CONFIG_TABLE                 equ 112
CONFIG_TABLE_ENTRY_SIZE         equ 24       ; EFI_GUID + VOID*

; EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL
CON_OUTPUT_STRING               equ 8

; EFI_BOOT_SERVICES
BS_ALLOCATE_PAGES               equ 40
BS_FREE_PAGES                   equ 48
BS_GET_MEMORY_MAP               equ 56
BS_FREE_POOL                    equ 72
BS_HANDLE_PROTOCOL              equ 152
BS_EXIT_BOOT_SERVICES           equ 232
BS_STALL                        equ 248
BS_LOCATE_DEVICE_PATH           equ 184
BS_CONNECT_CONTROLLER           equ 264
BS_LOCATE_HANDLE_BUFFER         equ 312
BS_LOCATE_PROTOCOL              equ 320
LOCATE_BY_PROTOCOL              equ 2

; EFI_RUNTIME_SERVICES
EFI_RUNTIME_SERVICES_CODE       equ 5
EFI_RUNTIME_SERVICES_DATA       equ 6
RT_GET_TIME                     equ 24
RT_GET_VARIABLE                 equ 72

ALLOCATE_ANY_PAGES              equ 0
ALLOCATE_MAX_ADDRESS            equ 1

; EFI memory types; the two OS-loader types (>= 0x80000000, allowed by the UEFI
; spec) tag our own allocations so the final UEFI map tells us what they were.
EFI_RESERVED                    equ 0
EFI_LOADER_CODE                 equ 1
EFI_LOADER_DATA                 equ 2
EFI_BOOT_SERVICES_CODE          equ 3
EFI_BOOT_SERVICES_DATA          equ 4
EFI_CONVENTIONAL                equ 7
EFI_UNUSABLE                    equ 8
EFI_ACPI_RECLAIM                equ 9
EFI_ACPI_NVS                    equ 10
EFI_TYPE_COUNT                  equ 16
MEM_KERNEL_AND_MODULES          equ 0x80000001
MEM_LOADER_RECLAIMABLE          equ 0x80000002

; EFI_MEMORY_DESCRIPTOR
MD_TYPE                         equ 0
MD_PHYSICAL_START               equ 8
MD_NUMBER_OF_PAGES              equ 24

; EFI_LOADED_IMAGE_PROTOCOL
LI_DEVICE_HANDLE                equ 24
LI_IMAGE_BASE                   equ 64
LI_IMAGE_SIZE                   equ 72

; EFI_SIMPLE_FILE_SYSTEM_PROTOCOL / EFI_FILE_PROTOCOL
SFS_OPEN_VOLUME                 equ 8
FILE_OPEN                       equ 8
FILE_CLOSE                      equ 16
FILE_READ                       equ 32
FILE_GET_POSITION               equ 48
FILE_SET_POSITION               equ 56
FILE_GET_INFO                   equ 64
FILE_MODE_READ                  equ 1

; EFI_BLOCK_IO_PROTOCOL and its media, and the GPT header
BLOCK_IO_MEDIA                  equ 8
BLOCK_IO_READ_BLOCKS            equ 24
MEDIA_ID                        equ 0
MEDIA_LOGICAL_PARTITION         equ 6
MEDIA_READ_ONLY                 equ 7
MEDIA_BLOCK_SIZE                equ 12
MEDIA_LAST_BLOCK                equ 24
GPT_SIGNATURE                   equ 0x5452415020494645 ; "EFI PART"
GPT_REVISION                    equ 8
GPT_REVISION_1_0                equ 0x00010000
GPT_DISK_GUID                   equ 56
MBR_DISK_ID                     equ 0x1b8

; EFI_GRAPHICS_OUTPUT_PROTOCOL and its mode structures
GOP_QUERY_MODE                  equ 0
GOP_SET_MODE                    equ 8
GOP_MODE                        equ 24
GOPM_MAX_MODE                   equ 0
GOPM_INFO                       equ 8
GOPM_FRAMEBUFFER_BASE           equ 24
GOPM_FRAMEBUFFER_SIZE           equ 32
GOPI_WIDTH                      equ 4
GOPI_HEIGHT                     equ 8
GOPI_PIXEL_FORMAT               equ 12
GOPI_RED_MASK                   equ 16
GOPI_GREEN_MASK                 equ 20
GOPI_BLUE_MASK                  equ 24
GOPI_PIXELS_PER_SCANLINE        equ 32
PIXEL_RGB_RESERVED_8BIT         equ 0
PIXEL_BGR_RESERVED_8BIT         equ 1
PIXEL_BIT_MASK                  equ 2

; EFI_DEVICE_PATH_PROTOCOL nodes
DP_TYPE_MEDIA                   equ 4
DP_TYPE_END                     equ 0x7f
DP_END_ENTIRE                   equ 0x0004ff7f ; type 0x7f, subtype 0xff, length 4
DP_MEDIA_HARD_DRIVE             equ 1
DP_MESSAGING_UART               equ 0x0e03     ; type 3 (messaging), subtype 14 (UART), as one word
DP_MEDIA_CDROM                  equ 2
DP_HD_PARTITION_NUMBER          equ 4
DP_HD_SIGNATURE                 equ 24
DP_HD_SIGNATURE_TYPE            equ 41
SIGNATURE_TYPE_MBR              equ 1
SIGNATURE_TYPE_GUID             equ 2

; EFI_TIME
TIME_YEAR                       equ 0
TIME_MONTH                      equ 2
TIME_DAY                        equ 3
TIME_HOUR                       equ 4
TIME_MINUTE                     equ 5
TIME_SECOND                     equ 6

%macro GUID 11
    dd %1
    dw %2, %3
    db %4, %5, %6, %7, %8, %9, %10, %11
%endmacro

; ---------------------------------------------------------------- Limine protocol
LIMINE_COMMON_MAGIC_0           equ 0xc7b1dd30df4c8b88
LIMINE_COMMON_MAGIC_1           equ 0x0a82e883a194f07b
BASE_REVISION_MAGIC_0           equ 0xf9562b2d5c95a6c8
BASE_REVISION_MAGIC_1           equ 0x6a7b384944536bdc
START_MARKER_0                  equ 0xf6b8f4b39de7d1ae
START_MARKER_1                  equ 0xfab91a6940fcb9cf
START_MARKER_2                  equ 0x785c6ed015d3e316
START_MARKER_3                  equ 0x181e920a7852b9d9
END_MARKER_0                    equ 0xadc0e0531bb10d03
END_MARKER_1                    equ 0x9572709f31764c62
HIGHEST_SUPPORTED_BASE_REVISION equ 6

; request layout: id[4], revision, response, then request-specific members
REQ_REVISION                    equ 32
REQ_RESPONSE                    equ 40
REQ_SMP_FLAGS                   equ 48                 ; struct limine_mp_request's flags
MP_REQUEST_X2APIC               equ 1 << 0
REQ_STACK_SIZE                  equ 48
REQ_PAGING_MODE                 equ 48
REQ_PAGING_MAX_MODE             equ 56
REQ_PAGING_MIN_MODE             equ 64
REQ_ENTRY                       equ 48
REQ_INTERNAL_MODULE_COUNT       equ 48
REQ_INTERNAL_MODULES            equ 56

; struct limine_internal_module
IM_PATH                         equ 0
IM_CMDLINE                      equ 8
IM_FLAGS                        equ 16
INTERNAL_MODULE_REQUIRED        equ 1 << 0
INTERNAL_MODULE_COMPRESSED      equ 1 << 1

; index of each request we know in request_ids / found_requests
REQ_BOOTLOADER_INFO             equ 0
REQ_FIRMWARE_TYPE               equ 1
REQ_STACK_SIZE_FEATURE          equ 2
REQ_HHDM                        equ 3
REQ_FRAMEBUFFER                 equ 4
REQ_PAGING_MODE_FEATURE         equ 5
REQ_SMP                         equ 6
REQ_MEMMAP                      equ 7
REQ_ENTRY_POINT                 equ 8
REQ_KERNEL_FILE                 equ 9
REQ_MODULE                      equ 10
REQ_RSDP                        equ 11
REQ_SMBIOS                      equ 12
REQ_EFI_SYSTEM_TABLE            equ 13
REQ_EFI_MEMMAP                  equ 14
REQ_BOOT_TIME                   equ 15
REQ_KERNEL_ADDRESS              equ 16
REQ_DTB                         equ 17
REQ_EXECUTABLE_CMDLINE          equ 18
REQ_BOOTLOADER_PERFORMANCE      equ 19
REQ_KEEP_IOMMU                  equ 20
REQ_TSC_FREQUENCY               equ 21
REQ_ENTROPY                     equ 22
REQUEST_KIND_COUNT              equ 23
REQ_ENTROPY_COUNT               equ 48
ENTROPY_MAX_VALUES              equ 512

FIRMWARE_TYPE_X86BIOS           equ 0
FIRMWARE_TYPE_UEFI64            equ 2
PAGING_MODE_4LEVEL              equ 0
PAGING_MODE_5LEVEL              equ 1
CPUID_LA57_BIT                  equ 16                 ; leaf 7, ecx
MEDIA_TYPE_GENERIC              equ 0
MEDIA_TYPE_OPTICAL              equ 1
PATH_MAX                        equ 256          ; the longest file path, with its zero

; a volume files are read from (boot_volume, or one of the UEFI volume index): what
; struct limine_file says of it, and how the platform reaches it
VOL_ROOT                        equ 0    ; UEFI: the open root directory, 0 until opened
VOL_FILE_SYSTEM                 equ 8    ; UEFI: its EFI_SIMPLE_FILE_SYSTEM_PROTOCOL
VOL_MEDIA_TYPE                  equ 16   ; dd MEDIA_TYPE_*
VOL_PARTITION                   equ 20   ; dd 1-based partition, 0 = the whole disk
VOL_MBR_DISK_ID                 equ 24   ; dd
VOL_DISK                        equ 28   ; dd 1-based drive number of its kind, 0 = unknown
VOL_OPTICAL                     equ 32   ; db 1 on an optical drive (odd()), 0 hdd()
VOL_HAS_PART_GUID               equ 33   ; db 1 when VOL_GPT_PART_UUID is a GPT partition's
VOL_ORDER                       equ 36   ; dd the disk's place in firmware order (searches)
VOL_GPT_DISK_UUID               equ 40   ; 16 bytes
VOL_GPT_PART_UUID               equ 56   ; 16 bytes
VOL_ISO                         equ 34   ; db 1: an ISO 9660 file system the loader reads itself
VOL_BLOCK_IO                    equ 72   ; ISO 9660: the medium's EFI_BLOCK_IO_PROTOCOL
VOL_ISO_ROOT_LBA                equ 80   ; dd ISO 9660: the root directory's extent (2 KiB units)
VOL_ISO_ROOT_SIZE               equ 84   ; dd and its size in bytes
VOL_SIZE                        equ 88

; struct limine_file
LFILE_ADDRESS                   equ 8
LFILE_SIZE                      equ 16
LFILE_PATH                      equ 24
LFILE_CMDLINE                   equ 32
LFILE_MEDIA_TYPE                equ 40
LFILE_PARTITION_INDEX           equ 56
LFILE_MBR_DISK_ID               equ 60
LFILE_GPT_DISK_UUID             equ 64
LFILE_GPT_PART_UUID             equ 80
LFILE_STRUCT_SIZE               equ 112

; struct limine_framebuffer and limine_video_mode
FB_ADDRESS                      equ 0
FB_WIDTH                        equ 8
FB_HEIGHT                       equ 16
FB_PITCH                        equ 24
FB_BPP                          equ 32
FB_MEMORY_MODEL                 equ 34
FB_RED_MASK_SIZE                equ 35
FB_MODE_COUNT                   equ 64
FB_MODES                        equ 72
FB_STRUCT_SIZE                  equ 80
VM_PITCH                        equ 0
VM_WIDTH                        equ 8
VM_HEIGHT                       equ 16
VM_BPP                          equ 24
VM_MEMORY_MODEL                 equ 26
VM_RED_MASK_SIZE                equ 27
VM_STRUCT_SIZE                  equ 40
MEMORY_MODEL_RGB                equ 1

; struct limine_memmap_entry and its types
ME_BASE                         equ 0
ME_LENGTH                       equ 8
ME_TYPE                         equ 16
ME_SIZE                         equ 24
LMM_USABLE                      equ 0
LMM_RESERVED                    equ 1
LMM_ACPI_RECLAIMABLE            equ 2
LMM_ACPI_NVS                    equ 3
LMM_BAD_MEMORY                  equ 4
LMM_BOOTLOADER_RECLAIMABLE      equ 5
LMM_KERNEL_AND_MODULES          equ 6
LMM_FRAMEBUFFER                 equ 7
LMM_RESERVED_MAPPED             equ 8

; ---------------------------------------------------------------- ELF64
EI_CLASS                        equ 4
EI_DATA                         equ 5
ELFCLASS32                      equ 1
ELFCLASS64                      equ 2
ELFDATA2LSB                     equ 1
E_TYPE                          equ 16
E_MACHINE                       equ 18
E_ENTRY                         equ 24
E_PHOFF                         equ 32
E_PHENTSIZE                     equ 54
E_PHNUM                         equ 56
E_SHOFF                         equ 40
E_SHENTSIZE                     equ 58
E_SHNUM                         equ 60
E_SHSTRNDX                      equ 62
SH_NAME                         equ 0                  ; Elf64_Shdr
SH_ADDR                         equ 16
SH_OFFSET                       equ 24
SH_SIZE                         equ 32
SHDR_SIZE                       equ 64
MAX_LIMINE_REQS                 equ 128                ; Limine's MAX_REQUESTS
ELF_HEADER_SIZE                 equ 64
ET_EXEC                         equ 2
ET_DYN                          equ 3
EM_X86_64                       equ 62
P_TYPE                          equ 0
P_FLAGS                         equ 4
P_OFFSET                        equ 8
P_VADDR                         equ 16
P_FILESZ                        equ 32
P_MEMSZ                         equ 40
P_ALIGN                         equ 48
PHDR_SIZE                       equ 56
PT_LOAD                         equ 1
PT_DYNAMIC                      equ 2
; dynamic section tags and x86-64 relocation types a PIE kernel uses
DYN_SIZE                        equ 16       ; d_tag, d_val
DT_NULL                         equ 0
DT_SYMTAB                       equ 6
DT_RELA                         equ 7
DT_RELASZ                       equ 8
DT_RELAENT                      equ 9
DT_SYMENT                       equ 11
DT_REL                          equ 17
DT_RELSZ                        equ 18
DT_TEXTREL                      equ 22
DT_JMPREL                       equ 23
DT_PLTRELSZ                     equ 2
DT_RELRSZ                       equ 35
DT_RELR                         equ 36
DT_RELRENT                      equ 37
RELA_SIZE                       equ 24       ; r_offset, r_info, r_addend
RELA_OFFSET                     equ 0
RELA_INFO                       equ 8
RELA_ADDEND                     equ 16
SYM_SIZE                        equ 24
SYM_SHNDX                       equ 6
SYM_VALUE                       equ 8
SHN_ABS                         equ 0xfff1
R_X86_64_NONE                   equ 0
R_X86_64_64                     equ 1
R_X86_64_GLOB_DAT               equ 6
R_X86_64_JUMP_SLOT              equ 7
R_X86_64_RELATIVE               equ 8
KASLR_TRIES                     equ 0x10000            ; draws before giving up, as Limine
CPUID_RDRAND_BIT                equ 30                 ; leaf 1, ecx
PF_X                            equ 1
PF_W                            equ 2
PF_R                            equ 4
KERNEL_LOWEST_ADDRESS           equ 0xffffffff80000000

; ---------------------------------------------------------------- x86-64 paging and CPU
PAGE_SIZE                       equ 4096
LARGE_PAGE_SIZE                 equ 0x200000
PTE_PRESENT                     equ 1 << 0
PTE_WRITABLE                    equ 1 << 1
PTE_PWT                         equ 1 << 3
PTE_LARGE                       equ 1 << 7
PTE_PAT_SMALL                   equ 1 << 7             ; in a 4 KiB PTE
MAP_HHDM                        equ 1
MAP_IDENTITY                    equ 2
PTE_PAT_LARGE                   equ 1 << 12
PTE_NX_BIT                      equ 63
PTE_ADDRESS_MASK                equ 0x000ffffffffff000
HHDM_BASE_4LEVEL                equ 0xffff800000000000  ; the HHDM Limine uses, by paging mode
HHDM_BASE_5LEVEL                equ 0xff00000000000000
HHDM_RANDOM_STEP                equ 0x40000000         ; a randomised HHDM moves in 1 GiB steps
LOW_MAPPED_LIMIT                equ 0x100000000        ; the first 4 GiB, always mapped
DEFAULT_STACK_SIZE              equ 65536

MSR_EFER                        equ 0xc0000080
EFER_LME                        equ 1 << 8
EFER_NXE                        equ 1 << 11
CR4_PAE                         equ 1 << 5
CR0_PG                          equ 1 << 31
CR0_PE                          equ 1 << 0
CR0_ET                          equ 1 << 4
EFER_LMA                        equ 1 << 10
GDT_TSS_SELECTOR                equ 0x38               ; base 0, limit 0: TR for base revision 5+
TSS_BUSY_BIT                    equ 0x02               ; in the descriptor's type
CPUID_APIC_BIT                  equ 9                  ; leaf 1, edx
CR4_PCIDE_BIT                   equ 17
CR4_LA57_BIT                    equ 12
MSR_PAT                         equ 0x277
; PAT0 WB, PAT1 WT, PAT2 UC-, PAT3 UC, PAT4 WP, PAT5 WC, PAT6 UC-, PAT7 UC (spec layout)
PAT_LIMINE_LAYOUT               equ 0x0007010500070406
CR0_WP                          equ 1 << 16
CR0_NW                          equ 1 << 29
CR0_CD                          equ 1 << 30
CPUID_MTRR_BIT                  equ 12                 ; leaf 1, edx
MSR_MTRR_CAP                    equ 0xfe               ; VCNT in bits 0-7, FIX in bit 8
MSR_MTRR_DEF_TYPE               equ 0x2ff              ; E bit 11, FE bit 10
MSR_MTRR_PHYS_BASE0             equ 0x200
CPUID_NX_BIT                    equ 20                 ; leaf 0x80000001, edx
CPUID_PAT_BIT                   equ 16                 ; leaf 1, edx

GDT_CODE64_SELECTOR             equ 0x28
GDT_DATA64_SELECTOR             equ 0x30

; ---------------------------------------------------------------- ACPI and IO APIC
RSDP_REVISION                   equ 15
RSDP_RSDT                       equ 16
RSDP_XSDT                       equ 24
RSDP_LENGTH                     equ 20
RSDP_V1_LENGTH                  equ 20
FADT_SIGNATURE                  equ 'FACP'
FADT_FIRMWARE_CTRL              equ 36
FADT_DSDT                       equ 40
FADT_X_FIRMWARE_CTRL            equ 132
FADT_X_DSDT                     equ 140
; SMBIOS entry points: "_SM_" (32-bit) and "_SM3_" (64-bit)
SMBIOS_LENGTH                   equ 5
SMBIOS_OEM_STRINGS              equ 11             ; structure types
SMBIOS_END_OF_TABLE             equ 127
SMBIOS_TABLE_LENGTH             equ 0x16
SMBIOS_TABLE_ADDRESS            equ 0x18
SMBIOS3_LENGTH                  equ 6
SMBIOS3_TABLE_MAX_SIZE          equ 0x0c
SMBIOS3_TABLE_ADDRESS           equ 0x10
SDT_LENGTH                      equ 4
SDT_HEADER_SIZE                 equ 36
MADT_SIGNATURE                  equ 'APIC'
DMAR_SIGNATURE                  equ 'DMAR'
DMAR_STRUCTURES                 equ 48                 ; after the header, width, flags, reserved
DMAR_DRHD                       equ 0
DRHD_REGISTER_BASE              equ 8
VTD_GCMD                        equ 0x18
VTD_GSTS                        equ 0x1c
VTD_GSTS_TES                    equ 1 << 31            ; translation enabled
VTD_GSTS_IRES                   equ 1 << 25            ; interrupt remapping enabled
VTD_GSTS_PERSISTENT             equ 0x96ffffff         ; GSTS minus the one-shot command bits
IVRS_SIGNATURE                  equ 'IVRS'
IVRS_BLOCKS                     equ 48
IVHD_IOMMU_BASE                 equ 8
AMDVI_CONTROL                   equ 0x18
AMDVI_CONTROL_ENABLE            equ 1                  ; IommuEn
MADT_ENTRIES                    equ 44
MADT_IO_APIC                    equ 1
MADT_IO_APIC_ADDRESS            equ 4
MADT_IO_APIC_SIZE               equ 12
IOAPIC_SELECT                   equ 0
IOAPIC_WINDOW                   equ 0x10
IOAPIC_VERSION_REGISTER         equ 1
IOAPIC_REDIRECTION_BASE         equ 0x10
IOAPIC_DELIVERY_MODE_MASK       equ 0x700
IOAPIC_DELIVERY_LOWEST          equ 0x100
IOAPIC_MASKED                   equ 1 << 16

MADT_LOCAL_APIC                 equ 0
MADT_LAPIC_PROCESSOR_UID        equ 2
MADT_LAPIC_ID                   equ 3
MADT_LAPIC_FLAGS                equ 4
MADT_LAPIC_ENABLED              equ 1
MADT_LAPIC_SIZE                 equ 8
MADT_LOCAL_X2APIC               equ 9                  ; Processor Local x2APIC
MADT_X2APIC_ID                  equ 4
MADT_X2APIC_FLAGS               equ 8
MADT_X2APIC_PROCESSOR_UID       equ 12
MADT_X2APIC_SIZE                equ 16
MADT_X2APIC_NMI                 equ 0x0a               ; Local x2APIC NMI
MADT_X2APIC_NMI_FLAGS           equ 2
MADT_X2APIC_NMI_PROCESSOR_UID   equ 4
MADT_X2APIC_NMI_LINT            equ 8
DMAR_FLAGS                      equ 37
DMAR_INTR_REMAP                 equ 1 << 0
DMAR_X2APIC_OPT_OUT             equ 1 << 1
CPUID_X2APIC_BIT                equ 21                 ; leaf 1, ecx
CPUID_ARCH_CAPABILITIES_BIT     equ 29                 ; leaf 7, edx
MSR_ARCH_CAPABILITIES           equ 0x10a
ARCH_CAP_XAPIC_DISABLE_BIT      equ 21
MSR_XAPIC_DISABLE_STATUS        equ 0xbd
MSR_APIC_BASE                   equ 0x1b
APIC_BASE_X2APIC                equ 1 << 10
MSR_X2APIC_ICR                  equ 0x830
MSR_X2APIC_BASE                 equ 0x800              ; + xAPIC register offset / 16
APIC_BASE_ENABLE                equ 1 << 11
LAPIC_ID                        equ 0x20
LAPIC_VERSION                   equ 0x30
LAPIC_TPR                       equ 0x80
LAPIC_SVR                       equ 0xf0
LAPIC_LVT_CMCI                  equ 0x2f0
LAPIC_LVT_TIMER                 equ 0x320
LAPIC_LVT_THERMAL               equ 0x330
LAPIC_LVT_PERFORMANCE           equ 0x340
LAPIC_LVT_LINT0                 equ 0x350
LAPIC_LVT_ERROR                 equ 0x370
LVT_DELIVERY_MODE_MASK          equ 0x700
LVT_DELIVERY_LOWEST             equ 0x100
LVT_DELIVERY_NMI                equ 0x400
LVT_DELIVERY_EXTINT             equ 0x700
LVT_ACTIVE_LOW                  equ 1 << 13
LVT_LEVEL_TRIGGERED             equ 1 << 15
LVT_MASKED                      equ 1 << 16
; MADT Local APIC NMI entries (type 4) and their MPS INTI flags
MADT_LAPIC_NMI                  equ 4
MADT_NMI_PROCESSOR_UID          equ 2
MADT_NMI_FLAGS                  equ 3
MADT_NMI_LINT                   equ 5
MPS_POLARITY_MASK               equ 0x3
MPS_ACTIVE_LOW                  equ 0x3
MPS_TRIGGER_MASK                equ 0xc
MPS_LEVEL_TRIGGERED             equ 0xc
IOAPIC_DELIVERY_NMI             equ 0x400
IOAPIC_DELIVERY_EXTINT          equ 0x700
LAPIC_ICR_LOW                   equ 0x300
LAPIC_ICR_HIGH                  equ 0x310
ICR_INIT                        equ 0x4500      ; INIT, level assert
ICR_STARTUP                     equ 0x4600      ; STARTUP, level assert; | vector
ICR_DELIVERY_PENDING            equ 1 << 12
IO_DELAY_PORT                   equ 0x80

; struct limine_smp_response / limine_smp_info (x86-64)
SMP_FLAGS                       equ 8
SMP_BSP_LAPIC_ID                equ 12
SMP_CPU_COUNT                   equ 16
SMP_CPUS                        equ 24
SMP_INFO_PROCESSOR_ID           equ 0
SMP_INFO_LAPIC_ID               equ 4
SMP_INFO_GOTO_ADDRESS           equ 16
SMP_INFO_SIZE                   equ 32

; the AP trampoline's temporary GDT
TR_CODE32                       equ 0x08
TR_DATA32                       equ 0x10
TR_CODE64                       equ 0x18

; ---------------------------------------------------------------- devices
COM1                            equ 0x3f8
COM1_LINE_STATUS                equ COM1 + 5
LSR_TRANSMIT_EMPTY              equ 1 << 5
LSR_TRANSMITTER_IDLE            equ 1 << 6
PIC1_DATA                       equ 0x21
PIC2_DATA                       equ 0xa1
DEBUG_EXIT_PORT                 equ 0xf4
DEBUG_EXIT_FAILURE              equ 0x11               ; QEMU isa-debug-exit: status 35 = failure

; ---------------------------------------------------------------- calling frames
; Every routine here follows the UEFI (Microsoft x64) convention, so one rule holds for
; calls into the firmware and between our own routines: arguments in rcx, rdx, r8, r9
; (then [rsp+32]...), result in rax, rbx rbp rsi rdi r12-r15 preserved, rsp 16-byte
; aligned at each call with 32 bytes of shadow space above it.
%macro FRAME 0
    push rbp
    mov rbp, rsp
    push rbx
    push rsi
    push rdi
    push r12
    push r13
    push r14
    push r15
    sub rsp, 72                ; shadow space + room for 5th..8th arguments; keeps alignment
%endmacro

%macro UNFRAME 0
    lea rsp, [rbp - 56]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rdi
    pop rsi
    pop rbx
    pop rbp
    ret
%endmacro

; FAIL message — print "message" as a fatal error and stop.
%macro FAIL 1
    lea rcx, [rel %1]
    xor edx, edx
    xor r8d, r8d
    call fatal
%endmacro

; FAIL3 before, detail-register, after — "before<detail>after", detail a C string.
%macro FAIL3 3
    lea rcx, [rel %1]
    mov rdx, %2
    lea r8, [rel %3]
    call fatal
%endmacro

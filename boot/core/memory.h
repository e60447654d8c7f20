/* Boot information, the physical page allocator and page-table mapping. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE ((uint64_t)4096)
#define FOUR_GIB ((uint64_t)0x100000000)

/* Reads the multiboot (v1 or v2) or PVH start information; must run before anything allocates memory. */
void boot_info_read(uint32_t magic, uint32_t info_address);
const char *boot_command_line(void);
uint64_t boot_memory_bytes(void);
/* Whether [address, address+bytes) lies in RAM the boot loader reported (safe to read at any time). */
int memory_is_ram(uint64_t address, uint64_t bytes);
/* The ACPI RSDP's physical address from the PVH start info (rsdp_paddr); 0 when not given. */
uint64_t boot_rsdp_address(void);

void page_allocator_init(void);
/* Contiguous zeroed pages aligned to `align` bytes, wholly below `limit`; 0 when none is free. */
uint64_t pages_alloc(uint64_t bytes, uint64_t align, uint64_t limit);
/* `count` contiguous pages below 4 GiB, not zeroed (memory lent away); 0 when none is free. */
uint64_t pages_take(uint64_t count);
void pages_free(uint64_t address, uint64_t bytes);
uint64_t pages_free_count(void);
uint64_t pages_total_count(void);

/* Maps [address, address+length) identity; device ranges are uncached. Returns 0 on success. */
int map_physical(uint64_t address, uint64_t length, int device);
void zero_memory(void *p, uint64_t bytes);

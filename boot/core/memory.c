#include "memory.h"
#include "console.h"
#include "io.h"

enum {
  MB1_MAGIC = 0x2BADB002, MB2_MAGIC = 0x36D76289, HVM_START_MAGIC = 0x336EC578,
  HVM_START_MEMMAP_VERSION = 1, HVM_MAX_MEMMAP_ENTRIES = 128,
  MB1_FLAG_MEMORY = 1 << 0, MB1_FLAG_CMDLINE = 1 << 2, MB1_FLAG_MMAP = 1 << 6,
  MB2_TAG_END = 0, MB2_TAG_CMDLINE = 1, MB2_TAG_MMAP = 6,
  MEMORY_AVAILABLE = 1,
  MAX_REGIONS = 64, COMMAND_LINE_MAX = 2048,
  PTE_PRESENT = 1 << 0, PTE_WRITE = 1 << 1, PTE_WRITE_THROUGH = 1 << 3, PTE_NO_CACHE = 1 << 4,
  PTE_HUGE = 1 << 7,
  ENTRIES_PER_TABLE = 512,
};
#define PTE_ADDRESS_MASK 0x000FFFFFFFFFF000ull
#define HUGE_PAGE 0x200000ull
#define LOW_MEMORY_END 0x100000ull
#define MAX_PAGES (FOUR_GIB / PAGE_SIZE)

struct region { uint64_t base, length; };
static struct region regions[MAX_REGIONS];
static int region_count;
static char command_line[COMMAND_LINE_MAX];
static uint64_t memory_bytes;
/* The RSDP's physical address when the boot protocol gives it (PVH); 0 otherwise. */
static uint64_t rsdp_address;

extern char load_start[], kernel_end[];
extern uint64_t boot_pml4[ENTRIES_PER_TABLE];

static void add_region(uint64_t base, uint64_t length, uint32_t type) {
  if (type != MEMORY_AVAILABLE || region_count == MAX_REGIONS) return;
  regions[region_count++] = (struct region){base, length};
  memory_bytes += length;
}

static void copy_command_line(const char *s, int skip_image_name) {
  if (skip_image_name) {
    while (*s && *s != ' ') s++;
    while (*s == ' ') s++;
  }
  size_t i = 0;
  while (s[i] && i + 1 < COMMAND_LINE_MAX) { command_line[i] = s[i]; i++; }
  command_line[i] = 0;
}

/* Multiboot v1 loaders (QEMU, GRUB) put the image path first; multiboot2 passes only arguments. */
struct __attribute__((packed)) mb1_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
};
struct __attribute__((packed)) mb1_mmap_entry { uint32_t size; uint64_t base, length; uint32_t type; };

static void read_mb1(const struct mb1_info *info) {
  if (info->flags & MB1_FLAG_CMDLINE) copy_command_line((const char *)(uintptr_t)info->cmdline, 1);
  if (info->flags & MB1_FLAG_MMAP) {
    uintptr_t p = info->mmap_addr, end = p + info->mmap_length;
    while (p < end) {
      const struct mb1_mmap_entry *e = (const void *)p;
      add_region(e->base, e->length, e->type);
      p += e->size + sizeof(e->size);
    }
  } else if (info->flags & MB1_FLAG_MEMORY) {
    add_region(LOW_MEMORY_END, (uint64_t)info->mem_upper * 1024, MEMORY_AVAILABLE);
  }
}

struct mb2_tag { uint32_t type, size; };
struct mb2_mmap { struct mb2_tag tag; uint32_t entry_size, entry_version; };
struct mb2_mmap_entry { uint64_t base, length; uint32_t type, reserved; };

static void read_mb2(uintptr_t info) {
  uint32_t total = *(const uint32_t *)info;
  for (uintptr_t p = info + 8; p + sizeof(struct mb2_tag) <= info + total;) {
    const struct mb2_tag *tag = (const void *)p;
    if (tag->type == MB2_TAG_END) break;
    if (tag->type == MB2_TAG_CMDLINE) copy_command_line((const char *)(p + sizeof *tag), 0);
    if (tag->type == MB2_TAG_MMAP) {
      const struct mb2_mmap *m = (const void *)p;
      for (uintptr_t e = p + sizeof *m; e + m->entry_size <= p + tag->size; e += m->entry_size) {
        const struct mb2_mmap_entry *entry = (const void *)e;
        add_region(entry->base, entry->length, entry->type);
      }
    }
    p += (tag->size + 7) & ~7u;
  }
}

/* PVH (Xen's hvm_start_info): the command line carries arguments only; version 1 adds the memory
   map, in E820 form. */
struct hvm_start_info {
  uint32_t magic, version, flags, nr_modules;
  uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
  uint64_t memmap_paddr;
  uint32_t memmap_entries, reserved;
};
struct hvm_memmap_entry { uint64_t addr, size; uint32_t type, reserved; };

static void read_pvh(const struct hvm_start_info *info) {
  if (info->magic != HVM_START_MAGIC) {
    kprintf("vireo: PVH start info at %lx has a bad magic %x\n", (uint64_t)(uintptr_t)info, info->magic);
    return;
  }
  if (info->cmdline_paddr) copy_command_line((const char *)(uintptr_t)info->cmdline_paddr, 0);
  rsdp_address = info->rsdp_paddr;
  if (info->version < HVM_START_MEMMAP_VERSION || !info->memmap_paddr) return;
  const struct hvm_memmap_entry *map = (const void *)(uintptr_t)info->memmap_paddr;
  uint32_t count = info->memmap_entries;
  if (count > HVM_MAX_MEMMAP_ENTRIES) count = HVM_MAX_MEMMAP_ENTRIES;
  for (uint32_t i = 0; i < count; i++) add_region(map[i].addr, map[i].size, map[i].type);
}

void boot_info_read(uint32_t magic, uint32_t info_address) {
  if (magic == MB1_MAGIC) read_mb1((const struct mb1_info *)(uintptr_t)info_address);
  else if (magic == MB2_MAGIC) read_mb2(info_address);
  else if (magic == HVM_START_MAGIC) read_pvh((const struct hvm_start_info *)(uintptr_t)info_address);
  else kprintf("vireo: unknown boot loader magic %x; assuming 32 MiB\n", magic);
  if (!region_count) add_region(LOW_MEMORY_END, 31 * LOW_MEMORY_END, MEMORY_AVAILABLE);
}

const char *boot_command_line(void) { return command_line; }
uint64_t boot_memory_bytes(void) { return memory_bytes; }
uint64_t boot_rsdp_address(void) { return rsdp_address; }

int memory_is_ram(uint64_t address, uint64_t bytes) {
  for (int i = 0; i < region_count; i++)
    if (address >= regions[i].base && bytes <= regions[i].length && address - regions[i].base <= regions[i].length - bytes)
      return 1;
  return 0;
}

/* One bit per 4 KiB page below 4 GiB; set = in use. */
static uint64_t page_bitmap[MAX_PAGES / 64];
static uint64_t free_pages, total_pages, search_hint;

static int page_used(uint64_t page) { return (page_bitmap[page / 64] >> (page % 64)) & 1; }
static void mark(uint64_t first, uint64_t count, int used) {
  for (uint64_t p = first; p < first + count; p++) {
    uint64_t bit = 1ull << (p % 64);
    if (used) page_bitmap[p / 64] |= bit;
    else page_bitmap[p / 64] &= ~bit;
  }
}

void zero_memory(void *p, uint64_t bytes) {
  uint64_t words = bytes / 8;
  __asm__ volatile("rep stosq" : "+D"(p), "+c"(words) : "a"(0ull) : "memory");
}

/* Frees the pages [first, last) a bitmap word at a time (a page at a time cost about a
   millisecond of boot for 128 MiB under emulation); a page already free is not counted again. */
static void release_pages(uint64_t first, uint64_t last) {
  while (first < last) {
    uint64_t bit = first % 64, span = 64 - bit;
    if (span > last - first) span = last - first;
    uint64_t mask = (span == 64 ? ~0ull : (1ull << span) - 1) << bit;
    free_pages += (uint64_t)__builtin_popcountll(page_bitmap[first / 64] & mask);
    page_bitmap[first / 64] &= ~mask;
    first += span;
  }
}

void page_allocator_init(void) {
  for (uint64_t i = 0; i < MAX_PAGES / 64; i++) page_bitmap[i] = ~0ull;
  uint64_t kernel_first = (uintptr_t)load_start / PAGE_SIZE;
  uint64_t kernel_last = ((uintptr_t)kernel_end + PAGE_SIZE - 1) / PAGE_SIZE;
  for (int i = 0; i < region_count; i++) {
    uint64_t first = (regions[i].base + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t last = (regions[i].base + regions[i].length) / PAGE_SIZE;
    if (last > MAX_PAGES) last = MAX_PAGES;
    if (first < LOW_MEMORY_END / PAGE_SIZE) first = LOW_MEMORY_END / PAGE_SIZE;
    /* The kernel's own pages stay used: free what lies below it and what lies above it. */
    release_pages(first, last < kernel_first ? last : kernel_first);
    release_pages(first > kernel_last ? first : kernel_last, last);
  }
  total_pages = free_pages;
  search_hint = kernel_last;
}

static uint64_t find_run(uint64_t from, uint64_t to, uint64_t count, uint64_t align_pages) {
  uint64_t p = (from + align_pages - 1) & ~(align_pages - 1);
  while (p + count <= to) {
    if (page_bitmap[p / 64] == ~0ull && p % 64 == 0 && align_pages <= 64) { p += 64; continue; }
    uint64_t run = 0;
    while (run < count && !page_used(p + run)) run++;
    if (run == count) return p;
    p = (p + run + 1 + align_pages - 1) & ~(align_pages - 1);
  }
  return 0;
}

/* Marks a free run of `count` pages used and returns its first page; 0 when there is none. */
static uint64_t claim_run(uint64_t count, uint64_t align_pages, uint64_t limit_pages) {
  if (limit_pages > MAX_PAGES) limit_pages = MAX_PAGES;
  if (!count || count > free_pages) return 0;
  uint64_t first = find_run(search_hint, limit_pages, count, align_pages);
  if (!first) first = find_run(LOW_MEMORY_END / PAGE_SIZE, limit_pages, count, align_pages);
  if (!first) return 0;
  mark(first, count, 1);
  free_pages -= count;
  search_hint = first + count;
  return first;
}

uint64_t pages_alloc(uint64_t bytes, uint64_t align, uint64_t limit) {
  uint64_t count = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
  uint64_t first = claim_run(count, align > PAGE_SIZE ? align / PAGE_SIZE : 1, limit / PAGE_SIZE);
  if (!first) return 0;
  zero_memory((void *)(first * PAGE_SIZE), count * PAGE_SIZE);
  return first * PAGE_SIZE;
}

/* Not zeroed: nothing in the guest reads these pages, and pages_alloc zeroes them when they come back. */
uint64_t pages_take(uint64_t count) {
  return claim_run(count, 1, MAX_PAGES) * PAGE_SIZE;
}

void pages_free(uint64_t address, uint64_t bytes) {
  uint64_t first = address / PAGE_SIZE, count = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
  for (uint64_t p = first; p < first + count && p < MAX_PAGES; p++) {
    if (!page_used(p)) { kprintf("vireo: double free of page %lx\n", p * PAGE_SIZE); continue; }
    mark(p, 1, 0);
    free_pages++;
  }
  if (first < search_hint) search_hint = first;
}

uint64_t pages_free_count(void) { return free_pages; }
uint64_t pages_total_count(void) { return total_pages; }

static uint64_t *next_table(uint64_t *table, unsigned index) {
  if (!(table[index] & PTE_PRESENT)) {
    uint64_t page = pages_alloc(PAGE_SIZE, PAGE_SIZE, FOUR_GIB);
    if (!page) return 0;
    table[index] = page | PTE_PRESENT | PTE_WRITE;
  }
  return (uint64_t *)(uintptr_t)(table[index] & PTE_ADDRESS_MASK);
}

int map_physical(uint64_t address, uint64_t length, int device) {
  if (address + length <= FOUR_GIB) return 0;
  uint64_t flags = PTE_PRESENT | PTE_WRITE | PTE_HUGE | (device ? PTE_NO_CACHE | PTE_WRITE_THROUGH : 0);
  for (uint64_t page = address & ~(HUGE_PAGE - 1); page < address + length; page += HUGE_PAGE) {
    if (page < FOUR_GIB) continue;
    uint64_t *pdpt = next_table(boot_pml4, (page >> 39) & 511);
    uint64_t *pd = pdpt ? next_table(pdpt, (page >> 30) & 511) : 0;
    if (!pd) return -1;
    pd[(page >> 21) & 511] = page | flags;
  }
  write_cr3(read_cr3());
  return 0;
}

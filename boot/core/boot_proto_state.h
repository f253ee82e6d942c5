/* placeholder */
struct boot_proto { int unused; };

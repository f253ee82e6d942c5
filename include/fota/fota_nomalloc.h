/*
 * fota_nomalloc.h - included by every file of boot/, agent/core/ and common/:
 * the portable cores never allocate. Any use of the heap fails to compile.
 */
#ifndef FOTA_NOMALLOC_H
#define FOTA_NOMALLOC_H

#include <stddef.h>
#include <string.h>

#pragma GCC poison malloc calloc realloc free

#endif /* FOTA_NOMALLOC_H */

/*
 * Sharing objects across processes through the broker: what the core
 * and the D3D11 layer call when an export becomes visible to other
 * processes, or when a lookup misses in this process.
 *
 * Every function is a no-op (or a plain miss) when EXTMEM_BROKER=off.
 * Exports start the broker when none runs; lookups only ask a running
 * one (no broker running means no process exported anything).
 *
 * An object known to the broker holds exactly one broker reference for
 * this process while it lives here (the exporter's from REGISTER, an
 * importer's from OPEN/CLAIM); xm_share_forget drops it.
 */
#ifndef EXTMEM_IPC_SHARE_H
#define EXTMEM_IPC_SHARE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <extmem/wintypes.h>

#include "core/object.h"

struct xm_resource;
enum xm_lookup;

/* GetSharedHandle: makes the resource's KMT value global. The broker
 * keeps the value the resource has unless another process's object has
 * it, and then gives a fresh one (resource->base.kmt changes before the
 * value is ever handed out). When no broker can be reached the value
 * stays process-local and this still succeeds. */
void xm_share_export_kmt(struct xm_resource *resource);

/* CreateSharedHandle with a name (of a resource or a fence): claims the
 * name for all processes. S_OK (also when no broker can be reached: the
 * name is then local), DXGI_ERROR_NAME_ALREADY_EXISTS when another
 * process's object has it. */
HRESULT xm_share_export_name(struct xm_object *object, const WCHAR *name, uint32_t access);

/* This process's last handle to a named NT object closed: gives back its
 * hold on the name (the name dies once no process holds it). */
void xm_share_unname(struct xm_object *object);

/* Lookups that missed in this process. On success *out holds a reference
 * on a local object standing for the other process's (built from the fd
 * and description the broker sent, or the one this process has already). */
enum xm_lookup xm_share_open_kmt(uint32_t value, enum xm_object_kind kind, struct xm_object **out);
enum xm_lookup xm_share_open_name(const WCHAR *name, enum xm_object_kind kind, struct xm_object **out,
                                  uint32_t *access);

/* A handle value another process duplicated into this one: takes it from
 * the broker and installs it in this process's handle table. */
bool xm_share_claim_handle(HANDLE handle);

/* DuplicateHandle into process `pid`: the broker gives that process a
 * handle value naming target with `access`; `named`: the source handle is
 * one of the named NT object, so the new one holds the name too. Returns
 * ERROR_SUCCESS, ERROR_INVALID_PARAMETER (no such process),
 * ERROR_NOT_SUPPORTED (no broker), ERROR_NOT_ENOUGH_MEMORY. */
DWORD xm_share_duplicate(struct xm_object *target, uint32_t access, bool named, pid_t pid, HANDLE *out);

/* The object is being destroyed: drops this process's broker reference. */
void xm_share_forget(struct xm_object *object);

/* UTF-8 of a name (at most XM_WIRE_MAX_NAME bytes + NUL); false if it
 * does not fit or holds a code point UTF-8 cannot carry. */
bool xm_share_name_to_utf8(const WCHAR *name, char *out, size_t size);

#endif

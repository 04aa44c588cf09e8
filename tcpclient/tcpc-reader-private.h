/* tcpc-reader-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "tcpc-filter.h"

G_BEGIN_DECLS

/*
 * The input side of a connection: reads into a pooled chunk, feeds the
 * filter and hands every record to the owner, one at a time. After every
 * callback the reader checks whether it was closed, paused or switched to
 * discarding, so the owner may do anything from inside a callback.
 */
typedef struct _TcpcReader TcpcReader;

typedef struct
{
  void (*record) (gpointer owner, GBytes *record);
  /* fatal: an I/O error, reading stopped; otherwise a filter error */
  void (*error)  (gpointer owner, const GError *error, gboolean fatal);
  void (*eof)    (gpointer owner);
  /* bytes arrived (before they are parsed) */
  void (*data)   (gpointer owner, gsize size);
  /* the records of one wake-up are delivered */
  void (*done)   (gpointer owner);
  /* around every run of record deliveries: TRUE before, FALSE after */
  void (*batch)  (gpointer owner, gboolean begin);
} TcpcReaderCallbacks;

TcpcReader *_tcpc_reader_new         (GInputStream              *stream,
                                      GSocket                   *socket,
                                      TcpcFilter                *filter,
                                      GMainContext              *context,
                                      const TcpcReaderCallbacks *callbacks,
                                      gpointer                   owner);
void        _tcpc_reader_start       (TcpcReader                *self);
void        _tcpc_reader_set_discard (TcpcReader                *self,
                                      gboolean                   discard);
void        _tcpc_reader_set_paused  (TcpcReader                *self,
                                      gboolean                   paused);
void        _tcpc_reader_drain       (TcpcReader                *self);
TcpcFilter *_tcpc_reader_get_filter  (TcpcReader                *self);
void        _tcpc_reader_set_filter  (TcpcReader                *self,
                                      TcpcFilter                *filter);
void        _tcpc_reader_close       (TcpcReader                *self);
void        _tcpc_reader_unref       (TcpcReader                *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TcpcReader, _tcpc_reader_unref)

G_END_DECLS

/* tcpc-writer-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The output side of a connection: a queue of encoded records with at most
 * one write in flight. Small records are coalesced into larger buffers and
 * queued buffers go out together in one writev.
 */
typedef struct _TcpcWriter TcpcWriter;

typedef struct
{
  /* bytes went out; the queue may still hold more */
  void (*written) (gpointer owner, gsize size);
  void (*flushed) (gpointer owner);
  void (*error)   (gpointer owner, const GError *error);
} TcpcWriterCallbacks;

TcpcWriter *_tcpc_writer_new         (GOutputStream             *stream,
                                      GMainContext              *context,
                                      const TcpcWriterCallbacks *callbacks,
                                      gpointer                   owner);
void        _tcpc_writer_push        (TcpcWriter                *self,
                                      GBytes                    *bytes);
void        _tcpc_writer_push_parts  (TcpcWriter                *self,
                                      const void                *prefix,
                                      gsize                      prefix_len,
                                      GBytes                    *record,
                                      const void                *data,
                                      gsize                      size,
                                      const void                *suffix,
                                      gsize                      suffix_len);
void        _tcpc_writer_flush_now   (TcpcWriter                *self);
gsize       _tcpc_writer_get_pending (TcpcWriter                *self);
gboolean    _tcpc_writer_has_failed  (TcpcWriter                *self);
void        _tcpc_writer_close       (TcpcWriter                *self);
void        _tcpc_writer_unref       (TcpcWriter                *self);

G_END_DECLS

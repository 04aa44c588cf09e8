/* tcpc-line-filter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1 /* memmem() */
#endif

#include "tcpc-filter-private.h"
#include "tcpc-line-filter.h"
#include "tcpc-input-buffer-private.h"

#include <string.h>

/**
 * SECTION:tcpc-line-filter
 * @title: TcpcLineFilter
 * @short_description: a filter of text lines, like POE::Filter::Line
 *
 * #TcpcLineFilter splits the received byte stream into lines and appends a
 * line terminator to every record it encodes. It is the counterpart of
 * POE::Filter::Line and the default filter of a #TcpcClient. Records are
 * #GBytes without their terminator; no character set is assumed and no
 * newline translation is done.
 *
 * The input terminator is chosen by the first setting that applies:
 *
 * - #TcpcLineFilter:literal sets both the input and the output terminator to
 *   an exact byte string (POE's `Literal`). It is not a regular expression:
 *   a literal `".*"` matches the two bytes `.` and `*` only.
 * - #TcpcLineFilter:input-literal sets an exact input terminator (POE's
 *   `InputLiteral`).
 * - #TcpcLineFilter:input-regex sets a regular expression (POE's
 *   `InputRegexp`), compiled with %G_REGEX_RAW and %G_REGEX_DOTALL and
 *   matched against the buffered input as it arrives: the record is the data
 *   before the first non-empty match, and the match is consumed. A match that
 *   could grow with more input (`\r\n+`) takes what has arrived.
 * - #TcpcLineFilter:autodetect locks onto the first terminator seen among
 *   `\n`, `\r\n`, `\r` and `\n\r` and then uses it as a literal for the rest
 *   of the stream (POE's `InputLiteral => undef`): `"a\r\nb\nc\r\n"` gives
 *   `"a"` and `"b\nc"`. A clone forgets what was detected.
 * - Otherwise (the default) each of `\n`, `\r\n`, `\r` and `\n\r` ends a
 *   line. A line is delivered as soon as the first terminator byte arrives; a
 *   complementary byte right after it, in the same or in the next read,
 *   completes the terminator. Unlike POE's default regular expression, a
 *   `\r\n` split between two reads therefore never yields an empty record,
 *   while `"a\r\n\r\nb\n"` still gives `"a"`, `""` and `"b"`.
 *
 * The output terminator is #TcpcLineFilter:literal when it is set and
 * #TcpcLineFilter:output-literal otherwise, `"\r\n"` by default:
 * `"y\n"` is encoded as `"y\n\r\n"`.
 *
 * #TcpcLineFilter:max-length bounds a line, terminator excluded (POE's
 * `MaxLength`, 1 MiB here). A longer line is consumed and reported as
 * %TCPC_FILTER_ERROR_RECORD_TOO_LONG by tcpc_filter_next_record(); the
 * following lines are parsed normally. When more than
 * #TcpcLineFilter:max-length bytes (plus the length of a partial terminator)
 * arrive without a terminator, that error is reported once, the buffered
 * bytes are dropped and the rest of the line is skipped silently. As long as
 * tcpc_filter_next_record() is called until it returns %NULL after every
 * tcpc_filter_feed(), the filter never holds more than
 * #TcpcLineFilter:max-length bytes plus the last chunk fed to it.
 *
 * Incompatible settings (POE's constructor errors) never abort the program:
 * tcpc_line_filter_check_settings(), tcpc_filter_feed(),
 * tcpc_filter_next_record() and tcpc_filter_encode() fail with
 * %TCPC_FILTER_ERROR_INVALID_SETTINGS and a message that names the conflict.
 * A #TcpcClient checks its filter before it connects.
 *
 * Lines that lie entirely within the last chunk fed to the filter are
 * returned as slices of that chunk, without copying (see
 * g_bytes_new_from_bytes()): keeping such a record keeps the chunk in memory.
 * Lines spanning several chunks are copied. In #TcpcLineFilter:input-regex
 * mode every line is a copy.
 *
 * Since: 0.1
 */

/**
 * TcpcLineFilter:
 *
 * A #TcpcFilter that splits the input into lines. Its fields are private.
 *
 * Since: 0.1
 */

#define DEFAULT_OUTPUT_LITERAL "\r\n"

#define PARAM_FLAGS \
  (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)

/* How far an unterminated record may grow past max-length in input-regex
 * mode while the end of the buffer might be the start of a match (the
 * length of a regex match is unknown in advance).
 */
#define REGEX_MATCH_ALLOWANCE 4096

/* A scan position that is not known. */
#define UNKNOWN G_MAXSIZE

typedef enum
{
  /* \n, \r\n, \r and \n\r */
  MODE_DEFAULT,
  /* Nothing detected yet: the first terminator is found as in MODE_DEFAULT. */
  MODE_AUTODETECT,
  /* literal, input-literal, or the terminator autodetect locked onto */
  MODE_LITERAL,
  /* input-regex */
  MODE_REGEX,
} ParseMode;

struct _TcpcLineFilter
{
  GObject parent_instance;

  /* The settings, as the properties hold them. */
  char *literal;
  char *input_literal;
  char *output_literal;          /* never NULL: DEFAULT_OUTPUT_LITERAL */
  char *input_regex;
  guint max_length;
  guint autodetect : 1;
  guint output_literal_set : 1;  /* output-literal was set explicitly */

  /* Derived from the settings by ensure_settings() when settings_dirty. */
  guint settings_dirty : 1;
  guint terminator_dirty : 1;    /* the input terminator settings changed */
  GError *settings_error;        /* the verdict of check_settings() */
  GRegex *regex;
  ParseMode mode;
  const guint8 *term;            /* the input terminator of MODE_LITERAL */
  gsize term_len;
  guint8 detected[2];            /* what autodetect locked onto */

  /* Parse state.
   *
   * The unparsed input is carry[carry_pos..] followed by chunk[pos..]. The
   * chunk is the last GBytes fed, kept referenced so that records lying in
   * it are zero-copy slices. The carry buffer holds what is left of earlier
   * chunks: the head of a record that spans chunks, at most max-length
   * bytes. Whenever next_record() is about to return NULL the remainder of
   * the chunk is moved to the carry buffer and the chunk is released, so
   * an idle connection does not pin a large read buffer. In input-regex mode
   * all input is appended to the carry buffer.
   */
  /* Dropping the rest of an over-long line. */
  guint skipping : 1;
  /* A byte to swallow if it comes next (\n after \r, \r after \n), or 0. */
  guint8 complement;

  GBytes *chunk;
  const guint8 *chunk_data;
  gsize chunk_len;
  gsize pos;
  /* The next \r and \n in the chunk at or after pos (chunk_len: none), or
   * UNKNOWN.
   */
  gsize cr_at;
  gsize lf_at;

  GByteArray *carry;
  gsize carry_pos;
  /* No terminator starts in carry[carry_pos..carry_scanned). */
  gsize carry_scanned;
};

static void tcpc_line_filter_filter_iface_init (TcpcFilterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TcpcLineFilter, tcpc_line_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER,
                                                      tcpc_line_filter_filter_iface_init))

enum {
  PROP_0,
  PROP_LITERAL,
  PROP_INPUT_LITERAL,
  PROP_OUTPUT_LITERAL,
  PROP_INPUT_REGEX,
  PROP_AUTODETECT,
  PROP_MAX_LENGTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Settings */

static gboolean
validate_settings (TcpcLineFilter  *self,
                   GError         **error)
{
  const char *other = NULL;

  if (self->literal != NULL)
    {
      if (self->literal[0] == '\0')
        {
          g_set_error_literal (error, TCPC_FILTER_ERROR,
                               TCPC_FILTER_ERROR_INVALID_SETTINGS,
                               "TcpcLineFilter:literal must not be empty");
          return FALSE;
        }

      if (self->input_literal != NULL)
        other = "input-literal";
      else if (self->output_literal_set)
        other = "output-literal";
      else if (self->input_regex != NULL)
        other = "input-regex";
      else if (self->autodetect)
        other = "autodetect";

      if (other != NULL)
        {
          g_set_error (error, TCPC_FILTER_ERROR,
                       TCPC_FILTER_ERROR_INVALID_SETTINGS,
                       "TcpcLineFilter:literal cannot be combined with "
                       "TcpcLineFilter:%s (literal sets both the input and "
                       "the output terminator)", other);
          return FALSE;
        }
    }

  if (self->input_literal != NULL && self->input_regex != NULL)
    {
      g_set_error_literal (error, TCPC_FILTER_ERROR,
                           TCPC_FILTER_ERROR_INVALID_SETTINGS,
                           "TcpcLineFilter:input-literal and "
                           "TcpcLineFilter:input-regex cannot both be set");
      return FALSE;
    }

  if (self->autodetect &&
      (self->input_literal != NULL || self->input_regex != NULL))
    {
      g_set_error (error, TCPC_FILTER_ERROR,
                   TCPC_FILTER_ERROR_INVALID_SETTINGS,
                   "TcpcLineFilter:autodetect cannot be combined with "
                   "TcpcLineFilter:%s",
                   self->input_literal != NULL ? "input-literal" : "input-regex");
      return FALSE;
    }

  if (self->input_literal != NULL && self->input_literal[0] == '\0')
    {
      g_set_error_literal (error, TCPC_FILTER_ERROR,
                           TCPC_FILTER_ERROR_INVALID_SETTINGS,
                           "TcpcLineFilter:input-literal must not be empty; "
                           "use TcpcLineFilter:autodetect to detect the line "
                           "terminator");
      return FALSE;
    }

  if (self->input_regex != NULL)
    {
      g_autoptr(GError) regex_error = NULL;

      if (self->input_regex[0] == '\0')
        {
          g_set_error_literal (error, TCPC_FILTER_ERROR,
                               TCPC_FILTER_ERROR_INVALID_SETTINGS,
                               "TcpcLineFilter:input-regex must not be empty");
          return FALSE;
        }

      self->regex = g_regex_new (self->input_regex,
                                 G_REGEX_RAW | G_REGEX_DOTALL | G_REGEX_OPTIMIZE,
                                 0, &regex_error);
      if (self->regex == NULL)
        {
          g_set_error (error, TCPC_FILTER_ERROR,
                       TCPC_FILTER_ERROR_INVALID_SETTINGS,
                       "TcpcLineFilter:input-regex “%s” is not a valid "
                       "regular expression: %s",
                       self->input_regex, regex_error->message);
          return FALSE;
        }
    }

  if (self->max_length == 0)
    {
      g_set_error_literal (error, TCPC_FILTER_ERROR,
                           TCPC_FILTER_ERROR_INVALID_SETTINGS,
                           "TcpcLineFilter:max-length must be greater than 0");
      return FALSE;
    }

  return TRUE;
}

static void
set_literal_terminator (TcpcLineFilter *self,
                        const guint8   *term,
                        gsize           term_len)
{
  self->mode = MODE_LITERAL;
  self->term = term;
  self->term_len = term_len;
}

static void spill_chunk (TcpcLineFilter *self);
static void drop_chunk (TcpcLineFilter *self);

/* Validates the settings if they changed, and applies a new input
 * terminator. Buffered input is kept; what was learnt from it (autodetect, a
 * pending \r\n half) is forgotten when the terminator changes.
 */
static gboolean
ensure_settings_slow (TcpcLineFilter  *self,
                      GError         **error)
{
  if (self->settings_dirty)
    {
      gboolean reset = self->terminator_dirty || self->settings_error != NULL;
      gboolean valid;

      self->settings_dirty = FALSE;
      self->terminator_dirty = FALSE;
      g_clear_error (&self->settings_error);
      g_clear_pointer (&self->regex, g_regex_unref);

      valid = validate_settings (self, &self->settings_error);

      if (reset)
        {
          spill_chunk (self);
          drop_chunk (self);
          self->carry_scanned = self->carry_pos;
          self->complement = 0;
          self->term = NULL;
          self->term_len = 0;
          self->mode = MODE_DEFAULT;
        }

      if (reset && valid)
        {
          if (self->literal != NULL)
            set_literal_terminator (self, (const guint8 *) self->literal,
                                    strlen (self->literal));
          else if (self->input_literal != NULL)
            set_literal_terminator (self, (const guint8 *) self->input_literal,
                                    strlen (self->input_literal));
          else if (self->regex != NULL)
            self->mode = MODE_REGEX;
          else if (self->autodetect)
            self->mode = MODE_AUTODETECT;
        }
      else if (!valid)
        g_clear_pointer (&self->regex, g_regex_unref);
    }

  if (self->settings_error != NULL)
    {
      if (error != NULL)
        *error = g_error_copy (self->settings_error);
      return FALSE;
    }

  return TRUE;
}

static inline gboolean
ensure_settings (TcpcLineFilter  *self,
                 GError         **error)
{
  if (G_LIKELY (!self->settings_dirty && self->settings_error == NULL))
    return TRUE;

  return ensure_settings_slow (self, error);
}

/* Buffer helpers */

static inline gsize
carry_avail (TcpcLineFilter *self)
{
  return self->carry->len - self->carry_pos;
}

static inline gsize
chunk_avail (TcpcLineFilter *self)
{
  return self->chunk != NULL ? self->chunk_len - self->pos : 0;
}

static void
carry_clear (TcpcLineFilter *self)
{
  g_byte_array_set_size (self->carry, 0);
  self->carry_pos = 0;
  self->carry_scanned = 0;
}

/* Drops the consumed head of the carry buffer. */
static void
carry_compact (TcpcLineFilter *self)
{
  if (self->carry_pos == 0)
    return;

  if (self->carry_pos == self->carry->len)
    {
      carry_clear (self);
      return;
    }

  g_byte_array_remove_range (self->carry, 0, self->carry_pos);
  self->carry_scanned -= self->carry_pos;
  self->carry_pos = 0;
}

/* Moves the unparsed rest of the chunk to the carry buffer. */
static void
spill_chunk (TcpcLineFilter *self)
{
  gsize avail = chunk_avail (self);

  if (avail > 0)
    {
      g_byte_array_append (self->carry, self->chunk_data + self->pos, avail);
      self->pos = self->chunk_len;
    }
}

static void
drop_chunk (TcpcLineFilter *self)
{
  g_clear_pointer (&self->chunk, g_bytes_unref);
  self->chunk_data = NULL;
  self->chunk_len = 0;
  self->pos = 0;
  self->cr_at = UNKNOWN;
  self->lf_at = UNKNOWN;
}

/* Keeps only the last @n bytes of the unparsed input, in the carry buffer,
 * and releases the chunk.
 */
static void
keep_tail (TcpcLineFilter *self,
           gsize           n)
{
  gsize from_chunk = MIN (n, chunk_avail (self));
  gsize from_carry = MIN (n - from_chunk, carry_avail (self));

  if (from_carry == 0)
    g_byte_array_set_size (self->carry, 0);
  else if (self->carry->len > from_carry)
    g_byte_array_remove_range (self->carry, 0, self->carry->len - from_carry);

  if (from_chunk > 0)
    g_byte_array_append (self->carry,
                         self->chunk_data + self->chunk_len - from_chunk,
                         from_chunk);

  self->carry_pos = 0;
  self->carry_scanned = 0;
  drop_chunk (self);
}

static void
set_too_long_error (TcpcLineFilter  *self,
                    gsize            length,
                    GError         **error)
{
  g_set_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG,
               "Line of %" G_GSIZE_FORMAT " bytes exceeds "
               "TcpcLineFilter:max-length (%u bytes)",
               length, self->max_length);
}

static void
set_overflow_error (TcpcLineFilter  *self,
                    gsize            buffered,
                    GError         **error)
{
  g_set_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG,
               "%" G_GSIZE_FORMAT " bytes received without a line "
               "terminator exceed TcpcLineFilter:max-length (%u bytes); "
               "the rest of the line is skipped",
               buffered, self->max_length);
}

/* Scanning */

/* Returns the index of the first @byte in data[from..end), or @end. */
static inline gsize
find_byte (const guint8 *data,
           gsize         from,
           gsize         end,
           guint8        byte)
{
  const guint8 *p;

  if (from >= end)
    return end;

  p = memchr (data + from, byte, end - from);

  return p != NULL ? (gsize) (p - data) : end;
}

/* Returns the index of the first \r or \n in data[from..end), or @end. */
static inline gsize
find_eol (const guint8 *data,
          gsize         from,
          gsize         end)
{
  gsize cr = find_byte (data, from, end, '\r');

  return find_byte (data, from, cr, '\n');
}

/* Returns the index of the first @term in data[from..end), or @end. */
static gsize
find_literal (const guint8 *data,
              gsize         from,
              gsize         end,
              const guint8 *term,
              gsize         term_len)
{
  const guint8 *p;
  guint8 last;
  gsize i;

  if (from >= end || end - from < term_len)
    return end;

  if (term_len == 1)
    return find_byte (data, from, end, term[0]);

  if (term_len > 16)
    {
      p = memmem (data + from, end - from, term, term_len);
      return p != NULL ? (gsize) (p - data) : end;
    }

  /* Short terminators end in a rare byte (\n, >…): look for it with
   * memchr(), then compare the rest.
   */
  last = term[term_len - 1];
  i = from + term_len - 1;
  while (i < end)
    {
      p = memchr (data + i, last, end - i);
      if (p == NULL)
        break;
      i = p - data;
      if (memcmp (data + i - (term_len - 1), term, term_len - 1) == 0)
        return i - (term_len - 1);
      i++;
    }

  return end;
}

/* The length of the terminator currently searched for: a literal's, or 1
 * for the default and autodetect modes, whose terminators are recognised by
 * their first byte.
 */
static inline gsize
key_len (TcpcLineFilter *self)
{
  return self->mode == MODE_LITERAL ? self->term_len : 1;
}

/* Returns the start of the first terminator in data[from..end), or @end. */
static inline gsize
find_terminator (TcpcLineFilter *self,
                 const guint8   *data,
                 gsize           from,
                 gsize           end)
{
  if (self->mode == MODE_LITERAL)
    return find_literal (data, from, end, self->term, self->term_len);

  return find_eol (data, from, end);
}

/* The same in the chunk from pos, remembering where the next \r and \n are
 * so that no byte is scanned twice for the same character.
 */
static inline gsize
chunk_find_terminator (TcpcLineFilter *self)
{
  if (self->mode == MODE_LITERAL)
    return find_literal (self->chunk_data, self->pos, self->chunk_len,
                         self->term, self->term_len);

  if (self->cr_at == UNKNOWN || self->cr_at < self->pos)
    self->cr_at = find_byte (self->chunk_data, self->pos, self->chunk_len,
                             '\r');
  if (self->lf_at == UNKNOWN || self->lf_at < self->pos)
    self->lf_at = find_byte (self->chunk_data, self->pos, self->chunk_len,
                             '\n');

  return MIN (self->cr_at, self->lf_at);
}

static void
lock_terminator (TcpcLineFilter *self,
                 guint8          first,
                 guint8          second)
{
  self->detected[0] = first;
  self->detected[1] = second;
  set_literal_terminator (self, self->detected, second != 0 ? 2 : 1);
}

/* Consumes the terminator that starts at data[t] (data ends at @end) and
 * returns the index after it. A \r or \n at the very end leaves its
 * complement to be swallowed by resolve_complement() if it comes next.
 */
static inline gsize
consume_terminator (TcpcLineFilter *self,
                    const guint8   *data,
                    gsize           t,
                    gsize           end)
{
  guint8 first;
  guint8 other;
  gboolean pair;

  if (self->mode == MODE_LITERAL)
    return t + self->term_len;

  g_assert (self->mode == MODE_DEFAULT || self->mode == MODE_AUTODETECT);

  first = data[t];
  other = first == '\r' ? '\n' : '\r';

  if (t + 1 == end)
    {
      self->detected[0] = first;
      self->complement = other;
      return t + 1;
    }

  pair = data[t + 1] == other;
  if (self->mode == MODE_AUTODETECT)
    lock_terminator (self, first, pair ? other : 0);

  return t + (pair ? 2 : 1);
}

/* Decides a terminator whose first byte ended the input: swallows the
 * complementary byte if it is next, and locks autodetect.
 */
static void
resolve_complement (TcpcLineFilter *self)
{
  guint8 next;
  gboolean pair;

  if (G_LIKELY (self->complement == 0))
    return;

  if (carry_avail (self) > 0)
    {
      next = self->carry->data[self->carry_pos];
      pair = next == self->complement;
      if (pair)
        {
          self->carry_pos++;
          self->carry_scanned = MAX (self->carry_scanned, self->carry_pos);
        }
    }
  else if (chunk_avail (self) > 0)
    {
      next = self->chunk_data[self->pos];
      pair = next == self->complement;
      if (pair)
        self->pos++;
    }
  else
    return;

  if (self->mode == MODE_AUTODETECT)
    lock_terminator (self, self->detected[0], pair ? self->complement : 0);

  self->complement = 0;
}

/* Line modes (default, autodetect, literal) */

/* Called when the input holds no complete line: moves the rest of the chunk
 * to the carry buffer and releases the chunk, or drops the input when the
 * line is too long.
 */
static GBytes *
lines_need_more (TcpcLineFilter  *self,
                 GError         **error)
{
  gsize k = key_len (self);
  gsize buffered = carry_avail (self) + chunk_avail (self);

  if (self->skipping)
    {
      /* Only a partial terminator is worth keeping. */
      keep_tail (self, MIN (buffered, k - 1));
      return NULL;
    }

  if (buffered > (gsize) self->max_length + (k - 1))
    {
      keep_tail (self, MIN (buffered, k - 1));
      self->skipping = TRUE;
      set_overflow_error (self, buffered, error);
      return NULL;
    }

  spill_chunk (self);
  drop_chunk (self);
  carry_compact (self);

  /* Everything spilled has been scanned: only a terminator that begins in
   * the last k - 1 bytes can still be completed by more input.
   */
  if (self->carry->len >= k - 1)
    self->carry_scanned = MAX (self->carry_scanned, self->carry->len - (k - 1));

  return NULL;
}

static GBytes *
next_line (TcpcLineFilter  *self,
           GError         **error)
{
  for (;;)
    {
      const guint8 *cdata;
      gsize clen;
      gsize cstart;
      gsize cavail;
      gsize k;
      gsize t;
      gsize length = 0;
      GBytes *record = NULL;

      resolve_complement (self);

      if (carry_avail (self) == 0)
        {
          gsize start;

          /* The fast path: a line within the chunk is a slice of it. */
          if (chunk_avail (self) == 0)
            return lines_need_more (self, error);

          t = chunk_find_terminator (self);
          if (t == self->chunk_len)
            return lines_need_more (self, error);

          start = self->pos;
          self->pos = consume_terminator (self, self->chunk_data, t,
                                          self->chunk_len);
          length = t - start;

          if (G_UNLIKELY (self->skipping))
            {
              self->skipping = FALSE;
              continue;
            }

          if (G_UNLIKELY (length > self->max_length))
            {
              set_too_long_error (self, length, error);
              return NULL;
            }

          if (length == 0)
            return g_bytes_new (NULL, 0);

          return _tcpc_bytes_slice (self->chunk, self->chunk_data + start, length);
        }

      cdata = self->carry->data;
      clen = self->carry->len;
      cstart = self->carry_pos;
      cavail = clen - cstart;
      k = key_len (self);

      /* 1. A terminator entirely within the carry buffer (when the chunk
       * before was not parsed to the end before the next was fed).
       */
      t = find_terminator (self, cdata, MAX (self->carry_scanned, cstart), clen);
      if (t < clen)
        {
          length = t - cstart;
          if (!self->skipping && length <= self->max_length)
            record = g_bytes_new (cdata + cstart, length);
          self->carry_pos = consume_terminator (self, cdata, t, clen);
          self->carry_scanned = self->carry_pos;
          if (self->carry_pos == clen)
            carry_clear (self);
        }
      else
        {
          gsize j;
          gboolean found = FALSE;

          self->carry_scanned = cavail >= k - 1 ? clen - (k - 1) : cstart;

          if (chunk_avail (self) == 0)
            return lines_need_more (self, error);

          /* 2. A literal terminator split between carry and chunk. */
          for (j = MIN (k - 1, cavail); j > 0 && !found; j--)
            {
              if (chunk_avail (self) >= k - j &&
                  memcmp (cdata + clen - j, self->term, j) == 0 &&
                  memcmp (self->chunk_data + self->pos, self->term + j, k - j) == 0)
                {
                  length = cavail - j;
                  if (!self->skipping && length <= self->max_length)
                    record = g_bytes_new (cdata + cstart, length);
                  self->pos += k - j;
                  carry_clear (self);
                  found = TRUE;
                }
            }

          /* 3. A terminator in the chunk: the line is the carry buffer
           * followed by the head of the chunk.
           */
          if (!found)
            {
              gsize head;

              t = chunk_find_terminator (self);
              if (t == self->chunk_len)
                return lines_need_more (self, error);

              head = t - self->pos;
              length = cavail + head;
              if (!self->skipping && length <= self->max_length)
                {
                  guint8 *buf = g_malloc (length);

                  memcpy (buf, cdata + cstart, cavail);
                  memcpy (buf + cavail, self->chunk_data + self->pos, head);
                  record = g_bytes_new_take (buf, length);
                }
              carry_clear (self);
              self->pos = consume_terminator (self, self->chunk_data, t,
                                              self->chunk_len);
            }
        }

      if (G_UNLIKELY (self->skipping))
        {
          g_assert (record == NULL);
          self->skipping = FALSE;
          continue;
        }

      if (G_UNLIKELY (record == NULL))
        {
          set_too_long_error (self, length, error);
          return NULL;
        }

      return record;
    }
}

/* Regex mode */

static GBytes *
regex_need_more (TcpcLineFilter  *self,
                 gboolean         partial,
                 GError         **error)
{
  gsize buffered = carry_avail (self);
  gsize keep = partial ? MIN (buffered, REGEX_MATCH_ALLOWANCE) : 0;

  if (self->skipping)
    {
      keep_tail (self, keep);
      return NULL;
    }

  if (buffered > (gsize) self->max_length + (partial ? REGEX_MATCH_ALLOWANCE : 0))
    {
      keep_tail (self, keep);
      self->skipping = TRUE;
      set_overflow_error (self, buffered, error);
      return NULL;
    }

  carry_compact (self);

  return NULL;
}

static GBytes *
next_regex_record (TcpcLineFilter  *self,
                   GError         **error)
{
  for (;;)
    {
      g_autoptr(GMatchInfo) match_info = NULL;
      g_autoptr(GError) match_error = NULL;
      const guint8 *data;
      gsize avail = carry_avail (self);
      gsize from = MAX (self->carry_scanned, self->carry_pos) - self->carry_pos;
      gint match_start = 0;
      gint match_end = 0;
      gsize length;

      if (avail == 0)
        return regex_need_more (self, FALSE, error);
      data = self->carry->data + self->carry_pos;

      if (G_UNLIKELY (avail > G_MAXINT))
        {
          /* Only possible with a huge max-length: GRegex offsets are gint. */
          carry_clear (self);
          self->skipping = TRUE;
          set_overflow_error (self, avail, error);
          return NULL;
        }

      if (!g_regex_match_full (self->regex, (const char *) data, avail, from,
                               G_REGEX_MATCH_NOTEMPTY | G_REGEX_MATCH_PARTIAL_SOFT,
                               &match_info, &match_error))
        {
          if (match_error != NULL)
            {
              /* For example a match limit: the input cannot be parsed. */
              g_set_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED,
                           "TcpcLineFilter:input-regex failed on the input "
                           "(%" G_GSIZE_FORMAT " bytes dropped): %s",
                           avail, match_error->message);
              carry_clear (self);
              return NULL;
            }

          if (g_match_info_is_partial_match (match_info))
            return regex_need_more (self, TRUE, error);

          /* No match can begin in what was scanned. */
          self->carry_scanned = self->carry->len;
          return regex_need_more (self, FALSE, error);
        }

      g_match_info_fetch_pos (match_info, 0, &match_start, &match_end);
      g_assert (match_end > match_start);

      length = match_start;
      self->carry_pos += match_end;
      self->carry_scanned = self->carry_pos;

      if (G_UNLIKELY (self->skipping))
        {
          self->skipping = FALSE;
          continue;
        }

      if (length > self->max_length)
        {
          set_too_long_error (self, length, error);
          return NULL;
        }

      return g_bytes_new (data, length);
    }
}

/* TcpcFilter
 *
 * These vfuncs are only reached through the tcpc_filter_*() wrappers, which
 * check the instance: plain casts keep the per-record path free of type
 * checks.
 */

static gboolean
tcpc_line_filter_feed (TcpcFilter  *filter,
                       GBytes      *data,
                       GError     **error)
{
  TcpcLineFilter *self = (TcpcLineFilter *) filter;
  const guint8 *bytes;
  gsize size;

  if (!ensure_settings (self, error))
    return FALSE;

  bytes = g_bytes_get_data (data, &size);
  if (size == 0)
    return TRUE;

  if (self->mode == MODE_REGEX)
    {
      g_byte_array_append (self->carry, bytes, size);
      return TRUE;
    }

  /* Input left over because next_record() was not called until it returned
   * NULL: keep it, unscanned, before the new chunk.
   */
  spill_chunk (self);
  drop_chunk (self);

  self->chunk = g_bytes_ref (data);
  self->chunk_data = bytes;
  self->chunk_len = size;

  return TRUE;
}

static GBytes *
tcpc_line_filter_next_record (TcpcFilter  *filter,
                              GError     **error)
{
  TcpcLineFilter *self = (TcpcLineFilter *) filter;

  if (!ensure_settings (self, error))
    return NULL;

  if (self->mode == MODE_REGEX)
    return next_regex_record (self, error);

  return next_line (self, error);
}

/* a record, then the output terminator */
static gboolean
tcpc_line_filter_frame (TcpcFilter  *filter,
                        gsize        length,
                        TcpcFrame   *frame,
                        GError     **error)
{
  TcpcLineFilter *self = (TcpcLineFilter *) filter;

  if (!ensure_settings (self, error))
    return FALSE;

  frame->prefix_len = 0;
  frame->suffix = self->literal != NULL ? self->literal : self->output_literal;
  frame->suffix_len = strlen (frame->suffix);
  return TRUE;
}

static GBytes *
tcpc_line_filter_encode (TcpcFilter  *filter,
                         GBytes      *record,
                         GError     **error)
{
  return _tcpc_filter_encode_framed (filter, tcpc_line_filter_frame, record, error);
}

static GBytes *
tcpc_line_filter_take_pending (TcpcFilter *filter)
{
  TcpcLineFilter *self = TCPC_LINE_FILTER (filter);
  GBytes *pending = NULL;

  /* A byte that completes the last terminator is not pending input. */
  resolve_complement (self);

  if (carry_avail (self) == 0)
    {
      if (chunk_avail (self) > 0)
        pending = g_bytes_new_from_bytes (self->chunk, self->pos,
                                          chunk_avail (self));
    }
  else
    {
      spill_chunk (self);
      pending = g_bytes_new (self->carry->data + self->carry_pos,
                             carry_avail (self));
    }

  drop_chunk (self);
  carry_clear (self);

  return pending;
}

static TcpcFilter *
tcpc_line_filter_clone (TcpcFilter *filter)
{
  TcpcLineFilter *self = TCPC_LINE_FILTER (filter);
  TcpcLineFilter *clone = g_object_new (TCPC_TYPE_LINE_FILTER, NULL);

  /* The settings are copied as they are (a client clones its filter for
   * every connection; setting properties by name costs more than the
   * rest of the clone). They are checked when the clone is first used. */
  clone->literal = g_strdup (self->literal);
  clone->input_literal = g_strdup (self->input_literal);
  if (self->output_literal_set)
    {
      g_free (clone->output_literal);
      clone->output_literal = g_strdup (self->output_literal);
      clone->output_literal_set = TRUE;
    }
  clone->input_regex = g_strdup (self->input_regex);
  clone->autodetect = self->autodetect;
  clone->max_length = self->max_length;

  return TCPC_FILTER (clone);
}

static void
tcpc_line_filter_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = tcpc_line_filter_feed;
  iface->next_record = tcpc_line_filter_next_record;
  iface->encode = tcpc_line_filter_encode;
  iface->take_pending = tcpc_line_filter_take_pending;
  iface->clone = tcpc_line_filter_clone;
}

/* GObject */

static void
tcpc_line_filter_finalize (GObject *object)
{
  TcpcLineFilter *self = (TcpcLineFilter *) object;

  g_clear_pointer (&self->literal, g_free);
  g_clear_pointer (&self->input_literal, g_free);
  g_clear_pointer (&self->output_literal, g_free);
  g_clear_pointer (&self->input_regex, g_free);
  g_clear_error (&self->settings_error);
  g_clear_pointer (&self->regex, g_regex_unref);
  g_clear_pointer (&self->chunk, g_bytes_unref);
  g_clear_pointer (&self->carry, g_byte_array_unref);

  G_OBJECT_CLASS (tcpc_line_filter_parent_class)->finalize (object);
}

static void
tcpc_line_filter_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TcpcLineFilter *self = TCPC_LINE_FILTER (object);

  switch (prop_id)
    {
    case PROP_LITERAL:
      g_value_set_string (value, tcpc_line_filter_get_literal (self));
      break;

    case PROP_INPUT_LITERAL:
      g_value_set_string (value, tcpc_line_filter_get_input_literal (self));
      break;

    case PROP_OUTPUT_LITERAL:
      g_value_set_string (value, tcpc_line_filter_get_output_literal (self));
      break;

    case PROP_INPUT_REGEX:
      g_value_set_string (value, tcpc_line_filter_get_input_regex (self));
      break;

    case PROP_AUTODETECT:
      g_value_set_boolean (value, tcpc_line_filter_get_autodetect (self));
      break;

    case PROP_MAX_LENGTH:
      g_value_set_uint (value, tcpc_line_filter_get_max_length (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tcpc_line_filter_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TcpcLineFilter *self = TCPC_LINE_FILTER (object);

  switch (prop_id)
    {
    case PROP_LITERAL:
      tcpc_line_filter_set_literal (self, g_value_get_string (value));
      break;

    case PROP_INPUT_LITERAL:
      tcpc_line_filter_set_input_literal (self, g_value_get_string (value));
      break;

    case PROP_OUTPUT_LITERAL:
      tcpc_line_filter_set_output_literal (self, g_value_get_string (value));
      break;

    case PROP_INPUT_REGEX:
      tcpc_line_filter_set_input_regex (self, g_value_get_string (value));
      break;

    case PROP_AUTODETECT:
      tcpc_line_filter_set_autodetect (self, g_value_get_boolean (value));
      break;

    case PROP_MAX_LENGTH:
      tcpc_line_filter_set_max_length (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tcpc_line_filter_class_init (TcpcLineFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _tcpc_filter_type_set_frame_func (G_TYPE_FROM_CLASS (klass), tcpc_line_filter_frame);

  object_class->finalize = tcpc_line_filter_finalize;
  object_class->get_property = tcpc_line_filter_get_property;
  object_class->set_property = tcpc_line_filter_set_property;

  /**
   * TcpcLineFilter:literal:
   *
   * The exact byte string that ends a line on input and is appended to every
   * record on output (POE's `Literal`). It is not a regular expression. It
   * must not be empty and cannot be combined with
   * #TcpcLineFilter:input-literal, #TcpcLineFilter:output-literal,
   * #TcpcLineFilter:input-regex or #TcpcLineFilter:autodetect.
   *
   * Since: 0.1
   */
  properties[PROP_LITERAL] =
    g_param_spec_string ("literal", NULL, NULL,
                         NULL,
                         PARAM_FLAGS);

  /**
   * TcpcLineFilter:input-literal:
   *
   * The exact byte string that ends a line on input (POE's `InputLiteral`),
   * or %NULL. It must not be empty: POE's empty `InputLiteral` is
   * #TcpcLineFilter:autodetect here.
   *
   * Since: 0.1
   */
  properties[PROP_INPUT_LITERAL] =
    g_param_spec_string ("input-literal", NULL, NULL,
                         NULL,
                         PARAM_FLAGS);

  /**
   * TcpcLineFilter:output-literal:
   *
   * The bytes appended to every encoded record (POE's `OutputLiteral`),
   * `"\r\n"` by default. Setting %NULL restores the default. When
   * #TcpcLineFilter:literal is set, reading this property returns the
   * literal, which is the terminator actually used; setting it as well is an
   * invalid combination.
   *
   * Since: 0.1
   */
  properties[PROP_OUTPUT_LITERAL] =
    g_param_spec_string ("output-literal", NULL, NULL,
                         DEFAULT_OUTPUT_LITERAL,
                         PARAM_FLAGS);

  /**
   * TcpcLineFilter:input-regex:
   *
   * A regular expression that ends a line on input (POE's `InputRegexp`),
   * or %NULL. It is compiled with %G_REGEX_RAW and %G_REGEX_DOTALL and only
   * non-empty matches count. An empty or invalid pattern makes the settings
   * invalid.
   *
   * Since: 0.1
   */
  properties[PROP_INPUT_REGEX] =
    g_param_spec_string ("input-regex", NULL, NULL,
                         NULL,
                         PARAM_FLAGS);

  /**
   * TcpcLineFilter:autodetect:
   *
   * Whether the input terminator is the first of `\n`, `\r\n`, `\r` or `\n\r`
   * seen in the stream (POE's `InputLiteral => undef`). The detected
   * terminator is then the only one; tcpc_filter_clone() forgets it.
   *
   * Since: 0.1
   */
  properties[PROP_AUTODETECT] =
    g_param_spec_boolean ("autodetect", NULL, NULL,
                          FALSE,
                          PARAM_FLAGS);

  /**
   * TcpcLineFilter:max-length:
   *
   * The maximum length of a line in bytes, terminator excluded (POE's
   * `MaxLength`). A longer line is a %TCPC_FILTER_ERROR_RECORD_TOO_LONG
   * error. 0 is accepted by the property but makes the settings invalid.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_LENGTH] =
    g_param_spec_uint ("max-length", NULL, NULL,
                       0, G_MAXUINT, TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH,
                       PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tcpc_line_filter_init (TcpcLineFilter *self)
{
  self->output_literal = g_strdup (DEFAULT_OUTPUT_LITERAL);
  self->max_length = TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH;
  self->settings_dirty = TRUE;
  self->terminator_dirty = TRUE;
  self->mode = MODE_DEFAULT;
  self->carry = g_byte_array_new ();
  self->cr_at = UNKNOWN;
  self->lf_at = UNKNOWN;
}

/* Public API */

/**
 * tcpc_line_filter_new:
 *
 * Creates a line filter with the default settings: any of `\n`, `\r\n`, `\r`
 * and `\n\r` ends a line on input, `"\r\n"` is appended on output, and lines
 * are limited to %TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH bytes.
 *
 * Returns: (transfer full): a new #TcpcLineFilter
 *
 * Since: 0.1
 */
TcpcLineFilter *
tcpc_line_filter_new (void)
{
  return g_object_new (TCPC_TYPE_LINE_FILTER, NULL);
}

/**
 * tcpc_line_filter_new_literal:
 * @literal: (nullable): the line terminator for input and output
 *
 * Creates a line filter whose input and output terminator is @literal, an
 * exact byte string (POE's `Literal`). %NULL gives the default settings.
 *
 * Returns: (transfer full): a new #TcpcLineFilter
 *
 * Since: 0.1
 */
TcpcLineFilter *
tcpc_line_filter_new_literal (const char *literal)
{
  return g_object_new (TCPC_TYPE_LINE_FILTER,
                       "literal", literal,
                       NULL);
}

/**
 * tcpc_line_filter_check_settings:
 * @self: a #TcpcLineFilter
 * @error: return location for a #GError
 *
 * Checks that the settings of @self are valid and compatible with each
 * other: a non-empty #TcpcLineFilter:literal set alone, at most one of
 * #TcpcLineFilter:input-literal, #TcpcLineFilter:input-regex and
 * #TcpcLineFilter:autodetect, a non-empty input literal, a valid input
 * regex, and a #TcpcLineFilter:max-length above 0. tcpc_filter_feed() and
 * tcpc_filter_encode() fail with the same error while the settings are
 * invalid.
 *
 * Returns: %TRUE if the settings are valid; %FALSE with @error set to a
 *   %TCPC_FILTER_ERROR_INVALID_SETTINGS error otherwise
 *
 * Since: 0.1
 */
gboolean
tcpc_line_filter_check_settings (TcpcLineFilter  *self,
                                 GError         **error)
{
  g_return_val_if_fail (TCPC_IS_LINE_FILTER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return ensure_settings (self, error);
}

/**
 * tcpc_line_filter_get_literal:
 * @self: a #TcpcLineFilter
 *
 * Gets #TcpcLineFilter:literal.
 *
 * Returns: (transfer none) (nullable): the literal line terminator, or %NULL
 *
 * Since: 0.1
 */
const char *
tcpc_line_filter_get_literal (TcpcLineFilter *self)
{
  g_return_val_if_fail (TCPC_IS_LINE_FILTER (self), NULL);

  return self->literal;
}

/**
 * tcpc_line_filter_set_literal:
 * @self: a #TcpcLineFilter
 * @literal: (nullable): the line terminator for input and output, or %NULL
 *
 * Sets #TcpcLineFilter:literal.
 *
 * Since: 0.1
 */
void
tcpc_line_filter_set_literal (TcpcLineFilter *self,
                              const char     *literal)
{
  gboolean output_changed;

  g_return_if_fail (TCPC_IS_LINE_FILTER (self));

  if (g_strcmp0 (self->literal, literal) == 0)
    return;

  output_changed = g_strcmp0 (tcpc_line_filter_get_output_literal (self),
                              literal != NULL ? literal : self->output_literal) != 0;

  g_free (self->literal);
  self->literal = g_strdup (literal);
  self->settings_dirty = TRUE;
  self->terminator_dirty = TRUE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LITERAL]);
  if (output_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT_LITERAL]);
}

/**
 * tcpc_line_filter_get_input_literal:
 * @self: a #TcpcLineFilter
 *
 * Gets #TcpcLineFilter:input-literal.
 *
 * Returns: (transfer none) (nullable): the input line terminator, or %NULL
 *
 * Since: 0.1
 */
const char *
tcpc_line_filter_get_input_literal (TcpcLineFilter *self)
{
  g_return_val_if_fail (TCPC_IS_LINE_FILTER (self), NULL);

  return self->input_literal;
}

/**
 * tcpc_line_filter_set_input_literal:
 * @self: a #TcpcLineFilter
 * @input_literal: (nullable): the input line terminator, or %NULL
 *
 * Sets #TcpcLineFilter:input-literal.
 *
 * Since: 0.1
 */
void
tcpc_line_filter_set_input_literal (TcpcLineFilter *self,
                                    const char     *input_literal)
{
  g_return_if_fail (TCPC_IS_LINE_FILTER (self));

  if (g_strcmp0 (self->input_literal, input_literal) == 0)
    return;

  g_free (self->input_literal);
  self->input_literal = g_strdup (input_literal);
  self->settings_dirty = TRUE;
  self->terminator_dirty = TRUE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INPUT_LITERAL]);
}

/**
 * tcpc_line_filter_get_output_literal:
 * @self: a #TcpcLineFilter
 *
 * Gets the output line terminator: #TcpcLineFilter:literal if it is set,
 * #TcpcLineFilter:output-literal otherwise.
 *
 * Returns: (transfer none): the output line terminator
 *
 * Since: 0.1
 */
const char *
tcpc_line_filter_get_output_literal (TcpcLineFilter *self)
{
  g_return_val_if_fail (TCPC_IS_LINE_FILTER (self), NULL);

  return self->literal != NULL ? self->literal : self->output_literal;
}

/**
 * tcpc_line_filter_set_output_literal:
 * @self: a #TcpcLineFilter
 * @output_literal: (nullable): the output line terminator, or %NULL for the
 *   default `"\r\n"`
 *
 * Sets #TcpcLineFilter:output-literal.
 *
 * Since: 0.1
 */
void
tcpc_line_filter_set_output_literal (TcpcLineFilter *self,
                                     const char     *output_literal)
{
  gboolean is_set = output_literal != NULL;
  gboolean changed;

  g_return_if_fail (TCPC_IS_LINE_FILTER (self));

  if (output_literal == NULL)
    output_literal = DEFAULT_OUTPUT_LITERAL;

  changed = g_strcmp0 (self->output_literal, output_literal) != 0;
  if (!changed && self->output_literal_set == is_set)
    return;

  if (changed)
    {
      g_free (self->output_literal);
      self->output_literal = g_strdup (output_literal);
    }
  self->output_literal_set = is_set;
  self->settings_dirty = TRUE;

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT_LITERAL]);
}

/**
 * tcpc_line_filter_get_input_regex:
 * @self: a #TcpcLineFilter
 *
 * Gets #TcpcLineFilter:input-regex.
 *
 * Returns: (transfer none) (nullable): the input regular expression, or %NULL
 *
 * Since: 0.1
 */
const char *
tcpc_line_filter_get_input_regex (TcpcLineFilter *self)
{
  g_return_val_if_fail (TCPC_IS_LINE_FILTER (self), NULL);

  return self->input_regex;
}

/**
 * tcpc_line_filter_set_input_regex:
 * @self: a #TcpcLineFilter
 * @input_regex: (nullable): a regular expression that ends a line, or %NULL
 *
 * Sets #TcpcLineFilter:input-regex.
 *
 * Since: 0.1
 */
void
tcpc_line_filter_set_input_regex (TcpcLineFilter *self,
                                  const char     *input_regex)
{
  g_return_if_fail (TCPC_IS_LINE_FILTER (self));

  if (g_strcmp0 (self->input_regex, input_regex) == 0)
    return;

  g_free (self->input_regex);
  self->input_regex = g_strdup (input_regex);
  self->settings_dirty = TRUE;
  self->terminator_dirty = TRUE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INPUT_REGEX]);
}

/**
 * tcpc_line_filter_get_autodetect:
 * @self: a #TcpcLineFilter
 *
 * Gets #TcpcLineFilter:autodetect.
 *
 * Returns: whether the input line terminator is detected
 *
 * Since: 0.1
 */
gboolean
tcpc_line_filter_get_autodetect (TcpcLineFilter *self)
{
  g_return_val_if_fail (TCPC_IS_LINE_FILTER (self), FALSE);

  return self->autodetect;
}

/**
 * tcpc_line_filter_set_autodetect:
 * @self: a #TcpcLineFilter
 * @autodetect: whether to detect the input line terminator
 *
 * Sets #TcpcLineFilter:autodetect.
 *
 * Since: 0.1
 */
void
tcpc_line_filter_set_autodetect (TcpcLineFilter *self,
                                 gboolean        autodetect)
{
  g_return_if_fail (TCPC_IS_LINE_FILTER (self));

  autodetect = !!autodetect;
  if (self->autodetect == (guint) autodetect)
    return;

  self->autodetect = autodetect;
  self->settings_dirty = TRUE;
  self->terminator_dirty = TRUE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTODETECT]);
}

/**
 * tcpc_line_filter_get_max_length:
 * @self: a #TcpcLineFilter
 *
 * Gets #TcpcLineFilter:max-length.
 *
 * Returns: the maximum line length in bytes
 *
 * Since: 0.1
 */
guint
tcpc_line_filter_get_max_length (TcpcLineFilter *self)
{
  g_return_val_if_fail (TCPC_IS_LINE_FILTER (self), 0);

  return self->max_length;
}

/**
 * tcpc_line_filter_set_max_length:
 * @self: a #TcpcLineFilter
 * @max_length: the maximum line length in bytes, terminator excluded; 0 is
 *   invalid
 *
 * Sets #TcpcLineFilter:max-length.
 *
 * Since: 0.1
 */
void
tcpc_line_filter_set_max_length (TcpcLineFilter *self,
                                 guint           max_length)
{
  g_return_if_fail (TCPC_IS_LINE_FILTER (self));

  if (self->max_length == max_length)
    return;

  self->max_length = max_length;
  self->settings_dirty = TRUE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LENGTH]);
}

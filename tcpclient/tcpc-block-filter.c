/* tcpc-block-filter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-block-filter.h"

#include <string.h>

#include "tcpc-enum-types.h"
#include "tcpc-filter-private.h"
#include "tcpc-input-buffer-private.h"

/**
 * SECTION:tcpc-block-filter
 * @title: TcpcBlockFilter
 * @short_description: fixed-size or length-prefixed records, like
 *   POE::Filter::Block
 *
 * #TcpcBlockFilter frames records in one of two ways (POE::Filter::Block):
 *
 * - Fixed-size blocks, when #TcpcBlockFilter:block-size is above 0:
 *   every record is exactly that many bytes; tcpc_filter_encode() returns
 *   the record unchanged, without padding or checking its size, so that
 *   records of any size concatenate into blocks as in POE.
 * - Length-prefixed records otherwise: every record is preceded by a
 *   length header in the format #TcpcBlockFilter:length-codec selects.
 *   %TCPC_LENGTH_CODEC_ASCII, the default, is POE's `"<decimal length>\0"`;
 *   the others are unsigned big- or little-endian integers of 8 to 64 bits.
 *   Empty records are allowed.
 *
 * #TcpcBlockFilter:max-length bounds a length-prefixed record (1 MiB by
 * default). A header announcing more is reported as
 * %TCPC_FILTER_ERROR_RECORD_TOO_LONG as soon as it is decoded, before any
 * byte of the record is buffered; for an ASCII header that is as soon as
 * the digits received so far exceed the limit, even before the NUL. The
 * announced record is then dropped as it arrives, without being buffered,
 * and parsing resumes behind it: a length-prefixed stream stays in step,
 * as with Netty's LengthFieldBasedFrameDecoder. (A header of 2^64 - 1
 * bytes is thus the end of the usable stream, without using memory.)
 * tcpc_filter_encode() fails with %TCPC_FILTER_ERROR_RECORD_TOO_LONG for a
 * record that the header cannot express, such as 300 bytes with
 * %TCPC_LENGTH_CODEC_UINT8; #TcpcBlockFilter:max-length only limits input.
 *
 * The ASCII header follows POE where POE is safe and differs where it is
 * not:
 *
 * - Bytes other than digits in front of a header are dropped, as POE's
 *   "strange bytes removed from stream" (logged with g_debug() here), and a
 *   record right behind them is parsed by the same
 *   tcpc_filter_next_record() call (POE only parses it on the next read).
 * - Leading zeros are allowed in any number, as POE's `^(\d+)\0` allows
 *   them: `"0005\0hello"` is the record "hello" and a header of zeros only,
 *   such as `"000\0"`, an empty record. They count toward no limit: the
 *   value behind them is bound by #TcpcBlockFilter:max-length (and fits in
 *   64 bits) as any other. A run of leading zeros is kept as a single zero
 *   as it arrives, so that it cannot fill the memory;
 *   tcpc_filter_take_pending() returns the header in that form.
 * - Digits followed by a byte other than NUL are
 *   %TCPC_FILTER_ERROR_MALFORMED; POE stalls there forever.
 *
 * A malformed header cannot be skipped, because where the next record
 * begins is unknown. The buffered input is dropped, the error is returned
 * once by tcpc_filter_next_record(), which returns %NULL without an error
 * afterwards (so that a caller that reads until %NULL does not loop), and
 * every later tcpc_filter_feed() fails with %TCPC_FILTER_ERROR_MALFORMED
 * and discards its data. tcpc_filter_take_pending() starts afresh: it
 * returns the buffered bytes (a partial header and record), forgets a
 * record being dropped and the malformed state, and the next byte fed is
 * taken as the start of a header.
 *
 * As long as tcpc_filter_next_record() is called until it returns %NULL
 * after every tcpc_filter_feed(), the filter holds at most one record (its
 * header included) plus the last chunk fed. Records that lie within the
 * last chunk fed are slices of it (see g_bytes_new_from_bytes()), without a
 * copy.
 *
 * Settings (POE's constructor rules): a #TcpcBlockFilter:block-size set
 * together with an explicitly set #TcpcBlockFilter:length-codec or
 * #TcpcBlockFilter:max-length (even to its default value) is invalid,
 * because a block size is its own limit, as is a max-length of 0 and a
 * filter made with tcpc_block_filter_new_fixed() and a size of 0.
 * Invalid settings never abort the program: tcpc_block_filter_check_settings(),
 * tcpc_filter_feed(), tcpc_filter_next_record() and tcpc_filter_encode()
 * fail with %TCPC_FILTER_ERROR_INVALID_SETTINGS, and a #TcpcClient reports
 * them before it connects. Changing the block size or the length codec of
 * a filter in use keeps the buffered input and parses it with the new
 * framing.
 *
 * Since: 0.1
 */

/**
 * TcpcBlockFilter:
 *
 * A #TcpcFilter of fixed-size or length-prefixed records. Its fields are
 * private.
 *
 * Since: 0.1
 */

#define PARAM_FLAGS \
  (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)

/* The most significant digits (leading zeros aside) an ASCII length
 * header may have: G_MAXUINT64 has 20. A max-length is a guint, so a header
 * is too long before it gets there; the limit keeps the value within 64
 * bits whatever the max-length. */
#define MAX_ASCII_DIGITS 20

typedef enum
{
  /* At the start of a header (or of a block). */
  PARSE_HEADER,
  /* Dropping the rest of an ASCII length that exceeds max-length; skip
   * holds its value so far.
   */
  PARSE_SKIP_DIGITS,
  /* Dropping the skip bytes of a record that exceeds max-length. */
  PARSE_SKIP_BODY,
  /* A malformed header was seen: no way to find the next record. */
  PARSE_BROKEN,
} ParseState;

struct _TcpcBlockFilter
{
  GObject parent_instance;

  guint block_size;
  TcpcLengthCodec length_codec;
  guint max_length;
  /* Set explicitly, which a block size forbids (POE's rules). */
  guint length_codec_set : 1;
  guint max_length_set : 1;
  /* Made by tcpc_block_filter_new_fixed (0). */
  guint zero_block_size : 1;

  TcpcInputBuffer input;
  ParseState state;
  guint64 skip;
};

static void tcpc_block_filter_filter_iface_init (TcpcFilterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TcpcBlockFilter, tcpc_block_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER,
                                                      tcpc_block_filter_filter_iface_init))

enum {
  PROP_0,
  PROP_BLOCK_SIZE,
  PROP_LENGTH_CODEC,
  PROP_MAX_LENGTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Codecs */

static const char *
codec_name (TcpcLengthCodec codec)
{
  switch (codec)
    {
    case TCPC_LENGTH_CODEC_ASCII: return "ascii";
    case TCPC_LENGTH_CODEC_UINT8: return "uint8";
    case TCPC_LENGTH_CODEC_UINT16_BE: return "uint16-be";
    case TCPC_LENGTH_CODEC_UINT16_LE: return "uint16-le";
    case TCPC_LENGTH_CODEC_UINT32_BE: return "uint32-be";
    case TCPC_LENGTH_CODEC_UINT32_LE: return "uint32-le";
    case TCPC_LENGTH_CODEC_UINT64_BE: return "uint64-be";
    case TCPC_LENGTH_CODEC_UINT64_LE: return "uint64-le";
    default: return "invalid";
    }
}

/* The size of a binary header; 0 for ASCII. */
static guint
codec_width (TcpcLengthCodec codec)
{
  switch (codec)
    {
    case TCPC_LENGTH_CODEC_UINT8:
      return 1;
    case TCPC_LENGTH_CODEC_UINT16_BE:
    case TCPC_LENGTH_CODEC_UINT16_LE:
      return 2;
    case TCPC_LENGTH_CODEC_UINT32_BE:
    case TCPC_LENGTH_CODEC_UINT32_LE:
      return 4;
    case TCPC_LENGTH_CODEC_UINT64_BE:
    case TCPC_LENGTH_CODEC_UINT64_LE:
      return 8;
    case TCPC_LENGTH_CODEC_ASCII:
    default:
      return 0;
    }
}

static gboolean
codec_is_little_endian (TcpcLengthCodec codec)
{
  return codec == TCPC_LENGTH_CODEC_UINT16_LE ||
         codec == TCPC_LENGTH_CODEC_UINT32_LE ||
         codec == TCPC_LENGTH_CODEC_UINT64_LE;
}

static guint64
codec_max_length (TcpcLengthCodec codec)
{
  guint width = codec_width (codec);

  return width == 0 || width == 8 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << (width * 8)) - 1;
}

static inline gboolean
is_digit (guint8 c)
{
  return c >= '0' && c <= '9';
}

/* value * 10 + digit, saturated at G_MAXUINT64. */
static inline guint64
add_digit (guint64 value,
           guint8  c)
{
  guint digit = c - '0';

  if (value > (G_MAXUINT64 - digit) / 10)
    return G_MAXUINT64;

  return value * 10 + digit;
}

/* Settings */

static gboolean
validate_settings (TcpcBlockFilter  *self,
                   GError          **error)
{
  if (self->block_size > 0)
    {
      const char *other = NULL;

      if (self->length_codec_set)
        other = "length-codec";
      else if (self->max_length_set)
        other = "max-length";

      if (other != NULL)
        {
          g_set_error (error, TCPC_FILTER_ERROR,
                       TCPC_FILTER_ERROR_INVALID_SETTINGS,
                       "TcpcBlockFilter:block-size cannot be combined with "
                       "TcpcBlockFilter:%s (fixed-size blocks have no length "
                       "header, and the block size is their limit)", other);
          return FALSE;
        }

      return TRUE;
    }

  if (self->zero_block_size)
    {
      g_set_error_literal (error, TCPC_FILTER_ERROR,
                           TCPC_FILTER_ERROR_INVALID_SETTINGS,
                           "TcpcBlockFilter:block-size of a fixed-size block "
                           "filter must be greater than 0");
      return FALSE;
    }

  if (self->max_length == 0)
    {
      g_set_error_literal (error, TCPC_FILTER_ERROR,
                           TCPC_FILTER_ERROR_INVALID_SETTINGS,
                           "TcpcBlockFilter:max-length must be greater than 0");
      return FALSE;
    }

  return TRUE;
}

/* Parsing */

static void
set_too_long_error (TcpcBlockFilter  *self,
                    guint64           length,
                    gboolean          complete,
                    GError          **error)
{
  g_set_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG,
               "A length header announces %s%" G_GUINT64_FORMAT " bytes, "
               "more than TcpcBlockFilter:max-length (%u bytes); the record "
               "is skipped",
               complete ? "" : "at least ", length, self->max_length);
}

/* Drops the input after a malformed header. */
static void
set_broken (TcpcBlockFilter  *self,
            GError          **error,
            const char       *format,
            ...) G_GNUC_PRINTF (3, 4);

static void
set_broken (TcpcBlockFilter  *self,
            GError          **error,
            const char       *format,
            ...)
{
  va_list args;

  _tcpc_input_buffer_reset (&self->input);
  self->state = PARSE_BROKEN;
  self->skip = 0;

  if (error == NULL)
    return;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (TCPC_FILTER_ERROR,
                                                TCPC_FILTER_ERROR_MALFORMED,
                                                format, args));
  va_end (args);
}

/* Drops what has arrived of the body being skipped. */
static void
skip_body (TcpcBlockFilter *self)
{
  gsize size = _tcpc_input_buffer_get_size (&self->input);
  gsize n = (gsize) MIN ((guint64) size, self->skip);

  _tcpc_input_buffer_skip (&self->input, n);
  self->skip -= n;
  self->state = self->skip > 0 ? PARSE_SKIP_BODY : PARSE_HEADER;
}

typedef enum
{
  HEADER_NEED_MORE,
  HEADER_OK,
  HEADER_ERROR,
} HeaderResult;

static HeaderResult
decode_ascii_header (TcpcBlockFilter  *self,
                     gsize            *header_len,
                     guint64          *length,
                     GError          **error)
{
  TcpcInputBuffer *input = &self->input;
  gsize size = _tcpc_input_buffer_get_size (input);
  guint64 value = 0;
  gsize garbage = 0;
  gsize zeros = 0;
  guint digits = 0;
  gsize n;

  while (garbage < size && !is_digit (_tcpc_input_buffer_peek_byte (input, garbage)))
    garbage++;

  if (garbage > 0)
    {
      g_debug ("TcpcBlockFilter: %" G_GSIZE_FORMAT " strange bytes removed "
               "from the stream", garbage);
      _tcpc_input_buffer_skip (input, garbage);
      size -= garbage;
    }

  /* Leading zeros change nothing: a run of them is dropped but one as it
   * arrives, so that zeros without end do not grow the buffer. */
  while (zeros < size && _tcpc_input_buffer_peek_byte (input, zeros) == '0')
    zeros++;

  if (zeros > 1)
    {
      _tcpc_input_buffer_skip (input, zeros - 1);
      size -= zeros - 1;
    }

  for (n = 0; n < size; n++)
    {
      guint8 c = _tcpc_input_buffer_peek_byte (input, n);

      if (is_digit (c))
        {
          /* A leading zero is no significant digit. */
          if (value > 0 || c != '0')
            {
              if (digits == MAX_ASCII_DIGITS)
                {
                  set_broken (self, error,
                              "An ASCII length header has more than %d "
                              "significant digits", MAX_ASCII_DIGITS);
                  return HEADER_ERROR;
                }
              digits++;
            }

          value = add_digit (value, c);
          if (value > self->max_length)
            {
              /* Too long whatever follows: drop the digits now. */
              _tcpc_input_buffer_skip (input, n + 1);
              self->state = PARSE_SKIP_DIGITS;
              self->skip = value;
              set_too_long_error (self, value, FALSE, error);
              return HEADER_ERROR;
            }
          continue;
        }

      if (c == '\0')
        {
          *header_len = n + 1;
          *length = value;
          return HEADER_OK;
        }

      set_broken (self, error,
                  "An ASCII length header is followed by byte 0x%02x "
                  "instead of a NUL byte", c);
      return HEADER_ERROR;
    }

  return HEADER_NEED_MORE;
}

static HeaderResult
decode_binary_header (TcpcBlockFilter *self,
                      gsize           *header_len,
                      guint64         *length)
{
  guint width = codec_width (self->length_codec);
  guint8 header[8];
  guint64 value = 0;
  guint i;

  if (_tcpc_input_buffer_get_size (&self->input) < width)
    return HEADER_NEED_MORE;

  _tcpc_input_buffer_peek (&self->input, 0, header, width);

  if (codec_is_little_endian (self->length_codec))
    {
      for (i = width; i > 0; i--)
        value = (value << 8) | header[i - 1];
    }
  else
    {
      for (i = 0; i < width; i++)
        value = (value << 8) | header[i];
    }

  *header_len = width;
  *length = value;

  return HEADER_OK;
}

/* Drops the rest of a too long ASCII length, up to its NUL. Returns FALSE
 * when more input is needed or the header is malformed (@error is set
 * then).
 */
static gboolean
skip_digits (TcpcBlockFilter  *self,
             GError          **error)
{
  TcpcInputBuffer *input = &self->input;

  while (_tcpc_input_buffer_get_size (input) > 0)
    {
      guint8 c = _tcpc_input_buffer_peek_byte (input, 0);

      if (is_digit (c))
        {
          self->skip = add_digit (self->skip, c);
          _tcpc_input_buffer_skip (input, 1);
          continue;
        }

      if (c != '\0')
        {
          set_broken (self, error,
                      "An ASCII length header is followed by byte 0x%02x "
                      "instead of a NUL byte", c);
          return FALSE;
        }

      _tcpc_input_buffer_skip (input, 1);
      self->state = PARSE_SKIP_BODY;
      return TRUE;
    }

  return FALSE;
}

static GBytes *
next_fixed_block (TcpcBlockFilter *self)
{
  if (_tcpc_input_buffer_get_size (&self->input) < self->block_size)
    {
      _tcpc_input_buffer_release (&self->input);
      return NULL;
    }

  return _tcpc_input_buffer_take (&self->input, self->block_size);
}

static GBytes *
next_prefixed_record (TcpcBlockFilter  *self,
                      GError          **error)
{
  TcpcInputBuffer *input = &self->input;

  for (;;)
    {
      HeaderResult result;
      gsize header_len = 0;
      guint64 length = 0;

      switch (self->state)
        {
        case PARSE_BROKEN:
          _tcpc_input_buffer_reset (input);
          return NULL;

        case PARSE_SKIP_DIGITS:
          if (!skip_digits (self, error))
            {
              _tcpc_input_buffer_release (input);
              return NULL;
            }
          continue;

        case PARSE_SKIP_BODY:
          skip_body (self);
          if (self->state == PARSE_SKIP_BODY)
            {
              _tcpc_input_buffer_release (input);
              return NULL;
            }
          continue;

        case PARSE_HEADER:
        default:
          break;
        }

      if (self->length_codec == TCPC_LENGTH_CODEC_ASCII)
        result = decode_ascii_header (self, &header_len, &length, error);
      else
        result = decode_binary_header (self, &header_len, &length);

      switch (result)
        {
        case HEADER_ERROR:
          /* PARSE_BROKEN, or PARSE_SKIP_DIGITS: the next call skips, and
           * reports a malformed header behind the digits.
           */
          return NULL;

        case HEADER_NEED_MORE:
          _tcpc_input_buffer_release (input);
          return NULL;

        case HEADER_OK:
        default:
          break;
        }

      if (length > self->max_length)
        {
          /* The next call drops the body. */
          _tcpc_input_buffer_skip (input, header_len);
          self->state = PARSE_SKIP_BODY;
          self->skip = length;
          set_too_long_error (self, length, TRUE, error);
          return NULL;
        }

      if (_tcpc_input_buffer_get_size (input) - header_len < length)
        {
          _tcpc_input_buffer_release (input);
          return NULL;
        }

      _tcpc_input_buffer_skip (input, header_len);

      return _tcpc_input_buffer_take (input, (gsize) length);
    }
}

/* TcpcFilter */

static gboolean
tcpc_block_filter_feed (TcpcFilter  *filter,
                        GBytes      *data,
                        GError     **error)
{
  TcpcBlockFilter *self = (TcpcBlockFilter *) filter;

  if (!validate_settings (self, error))
    return FALSE;

  if (self->state == PARSE_BROKEN && self->block_size == 0)
    {
      if (g_bytes_get_size (data) == 0)
        return TRUE;

      g_set_error_literal (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED,
                           "The input is out of step since a malformed length "
                           "header; received bytes are discarded");
      return FALSE;
    }

  _tcpc_input_buffer_feed (&self->input, data);

  return TRUE;
}

static GBytes *
tcpc_block_filter_next_record (TcpcFilter  *filter,
                               GError     **error)
{
  TcpcBlockFilter *self = (TcpcBlockFilter *) filter;

  if (!validate_settings (self, error))
    return NULL;

  if (self->block_size > 0)
    return next_fixed_block (self);

  return next_prefixed_record (self, error);
}

/* the length header, then the record; fixed-size blocks go as they are */
static gboolean
tcpc_block_filter_frame (TcpcFilter  *filter,
                         gsize        length,
                         TcpcFrame   *frame,
                         GError     **error)
{
  TcpcBlockFilter *self = (TcpcBlockFilter *) filter;

  if (!validate_settings (self, error))
    return FALSE;

  frame->prefix_len = 0;
  frame->suffix = NULL;
  frame->suffix_len = 0;

  if (self->block_size > 0)
    return TRUE;

  if (self->length_codec == TCPC_LENGTH_CODEC_ASCII)
    {
      frame->prefix_len = g_snprintf ((char *) frame->prefix, sizeof frame->prefix,
                                      "%" G_GSIZE_FORMAT, length) + 1;
    }
  else
    {
      guint64 value = length;
      guint width = codec_width (self->length_codec);
      guint i;

      if ((guint64) length > codec_max_length (self->length_codec))
        {
          g_set_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG,
                       "A record of %" G_GSIZE_FORMAT " bytes is too long for "
                       "TcpcBlockFilter:length-codec %s (at most "
                       "%" G_GUINT64_FORMAT " bytes)",
                       length, codec_name (self->length_codec),
                       codec_max_length (self->length_codec));
          return FALSE;
        }

      for (i = 0; i < width; i++)
        {
          guint shift = codec_is_little_endian (self->length_codec) ? i : width - 1 - i;

          frame->prefix[i] = (value >> (shift * 8)) & 0xff;
        }
      frame->prefix_len = width;
    }

  return TRUE;
}

static GBytes *
tcpc_block_filter_encode (TcpcFilter  *filter,
                          GBytes      *record,
                          GError     **error)
{
  return _tcpc_filter_encode_framed (filter, tcpc_block_filter_frame, record, error);
}

static GBytes *
tcpc_block_filter_take_pending (TcpcFilter *filter)
{
  TcpcBlockFilter *self = (TcpcBlockFilter *) filter;

  self->state = PARSE_HEADER;
  self->skip = 0;

  return _tcpc_input_buffer_take_all (&self->input);
}

static TcpcFilter *
tcpc_block_filter_clone (TcpcFilter *filter)
{
  TcpcBlockFilter *self = (TcpcBlockFilter *) filter;
  TcpcBlockFilter *clone = g_object_new (TCPC_TYPE_BLOCK_FILTER, NULL);

  clone->block_size = self->block_size;
  clone->length_codec = self->length_codec;
  clone->max_length = self->max_length;
  clone->length_codec_set = self->length_codec_set;
  clone->max_length_set = self->max_length_set;
  clone->zero_block_size = self->zero_block_size;

  return TCPC_FILTER (clone);
}

static void
tcpc_block_filter_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = tcpc_block_filter_feed;
  iface->next_record = tcpc_block_filter_next_record;
  iface->encode = tcpc_block_filter_encode;
  iface->take_pending = tcpc_block_filter_take_pending;
  iface->clone = tcpc_block_filter_clone;
}

/* GObject */

static void
tcpc_block_filter_finalize (GObject *object)
{
  TcpcBlockFilter *self = (TcpcBlockFilter *) object;

  _tcpc_input_buffer_clear (&self->input);

  G_OBJECT_CLASS (tcpc_block_filter_parent_class)->finalize (object);
}

static void
tcpc_block_filter_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TcpcBlockFilter *self = TCPC_BLOCK_FILTER (object);

  switch (prop_id)
    {
    case PROP_BLOCK_SIZE:
      g_value_set_uint (value, tcpc_block_filter_get_block_size (self));
      break;

    case PROP_LENGTH_CODEC:
      g_value_set_enum (value, tcpc_block_filter_get_length_codec (self));
      break;

    case PROP_MAX_LENGTH:
      g_value_set_uint (value, tcpc_block_filter_get_max_length (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tcpc_block_filter_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TcpcBlockFilter *self = TCPC_BLOCK_FILTER (object);

  switch (prop_id)
    {
    case PROP_BLOCK_SIZE:
      tcpc_block_filter_set_block_size (self, g_value_get_uint (value));
      break;

    case PROP_LENGTH_CODEC:
      tcpc_block_filter_set_length_codec (self, g_value_get_enum (value));
      break;

    case PROP_MAX_LENGTH:
      tcpc_block_filter_set_max_length (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tcpc_block_filter_class_init (TcpcBlockFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _tcpc_filter_type_set_frame_func (G_TYPE_FROM_CLASS (klass), tcpc_block_filter_frame);

  object_class->finalize = tcpc_block_filter_finalize;
  object_class->get_property = tcpc_block_filter_get_property;
  object_class->set_property = tcpc_block_filter_set_property;

  /**
   * TcpcBlockFilter:block-size:
   *
   * The size of every record in bytes (POE's `BlockSize`), or 0 for
   * length-prefixed records. A block size cannot be combined with an
   * explicitly set #TcpcBlockFilter:length-codec or
   * #TcpcBlockFilter:max-length.
   *
   * Since: 0.1
   */
  properties[PROP_BLOCK_SIZE] =
    g_param_spec_uint ("block-size", NULL, NULL,
                       0, G_MAXUINT, 0,
                       PARAM_FLAGS);

  /**
   * TcpcBlockFilter:length-codec:
   *
   * The length header of length-prefixed records (POE's `LengthCodec`);
   * the default, %TCPC_LENGTH_CODEC_ASCII, is POE's `"<length>\0"`.
   *
   * Since: 0.1
   */
  properties[PROP_LENGTH_CODEC] =
    g_param_spec_enum ("length-codec", NULL, NULL,
                       TCPC_TYPE_LENGTH_CODEC,
                       TCPC_LENGTH_CODEC_ASCII,
                       PARAM_FLAGS);

  /**
   * TcpcBlockFilter:max-length:
   *
   * The largest length-prefixed record accepted on input, in bytes, header
   * excluded (POE's `MaxLength`). A header announcing more is a
   * %TCPC_FILTER_ERROR_RECORD_TOO_LONG error. 0 is accepted by the property
   * but makes the settings invalid.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_LENGTH] =
    g_param_spec_uint ("max-length", NULL, NULL,
                       0, G_MAXUINT, TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH,
                       PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tcpc_block_filter_init (TcpcBlockFilter *self)
{
  self->length_codec = TCPC_LENGTH_CODEC_ASCII;
  self->max_length = TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH;
  self->state = PARSE_HEADER;
  _tcpc_input_buffer_init (&self->input);
}

/* Public API */

/**
 * tcpc_block_filter_new:
 *
 * Creates a block filter with the default settings: records preceded by
 * POE's ASCII length header, up to %TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH
 * bytes.
 *
 * Returns: (transfer full): a new #TcpcBlockFilter
 *
 * Since: 0.1
 */
TcpcBlockFilter *
tcpc_block_filter_new (void)
{
  return g_object_new (TCPC_TYPE_BLOCK_FILTER, NULL);
}

/**
 * tcpc_block_filter_new_fixed:
 * @block_size: the size of every record, above 0
 *
 * Creates a block filter of fixed-size records (POE's `BlockSize`). A
 * @block_size of 0 gives a filter whose settings are invalid until
 * #TcpcBlockFilter:block-size is set.
 *
 * Returns: (transfer full): a new #TcpcBlockFilter
 *
 * Since: 0.1
 */
TcpcBlockFilter *
tcpc_block_filter_new_fixed (guint block_size)
{
  TcpcBlockFilter *self = g_object_new (TCPC_TYPE_BLOCK_FILTER,
                                        "block-size", block_size,
                                        NULL);

  self->zero_block_size = block_size == 0;

  return self;
}

/**
 * tcpc_block_filter_new_length_prefixed:
 * @length_codec: the length header
 *
 * Creates a block filter of records preceded by a length header in the
 * format @length_codec selects, up to %TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH
 * bytes.
 *
 * Returns: (transfer full): a new #TcpcBlockFilter
 *
 * Since: 0.1
 */
TcpcBlockFilter *
tcpc_block_filter_new_length_prefixed (TcpcLengthCodec length_codec)
{
  return g_object_new (TCPC_TYPE_BLOCK_FILTER,
                       "length-codec", length_codec,
                       NULL);
}

/**
 * tcpc_block_filter_check_settings:
 * @self: a #TcpcBlockFilter
 * @error: return location for a #GError
 *
 * Checks that the settings of @self are valid: a #TcpcBlockFilter:block-size
 * is not combined with an explicitly set #TcpcBlockFilter:length-codec or
 * #TcpcBlockFilter:max-length, #TcpcBlockFilter:max-length is above 0, and
 * a filter made by tcpc_block_filter_new_fixed() has a block size above 0.
 * tcpc_filter_feed(), tcpc_filter_next_record() and tcpc_filter_encode()
 * fail with the same error while the settings are invalid.
 *
 * Returns: %TRUE if the settings are valid; %FALSE with @error set to a
 *   %TCPC_FILTER_ERROR_INVALID_SETTINGS error otherwise
 *
 * Since: 0.1
 */
gboolean
tcpc_block_filter_check_settings (TcpcBlockFilter  *self,
                                  GError          **error)
{
  g_return_val_if_fail (TCPC_IS_BLOCK_FILTER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return validate_settings (self, error);
}

/**
 * tcpc_block_filter_get_block_size:
 * @self: a #TcpcBlockFilter
 *
 * Gets #TcpcBlockFilter:block-size.
 *
 * Returns: the size of every record, or 0 for length-prefixed records
 *
 * Since: 0.1
 */
guint
tcpc_block_filter_get_block_size (TcpcBlockFilter *self)
{
  g_return_val_if_fail (TCPC_IS_BLOCK_FILTER (self), 0);

  return self->block_size;
}

/**
 * tcpc_block_filter_set_block_size:
 * @self: a #TcpcBlockFilter
 * @block_size: the size of every record, or 0 for length-prefixed records
 *
 * Sets #TcpcBlockFilter:block-size.
 *
 * Since: 0.1
 */
void
tcpc_block_filter_set_block_size (TcpcBlockFilter *self,
                                  guint            block_size)
{
  g_return_if_fail (TCPC_IS_BLOCK_FILTER (self));

  self->zero_block_size = FALSE;

  if (self->block_size == block_size)
    return;

  self->block_size = block_size;
  self->state = PARSE_HEADER;
  self->skip = 0;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BLOCK_SIZE]);
}

/**
 * tcpc_block_filter_get_length_codec:
 * @self: a #TcpcBlockFilter
 *
 * Gets #TcpcBlockFilter:length-codec.
 *
 * Returns: the length header of length-prefixed records
 *
 * Since: 0.1
 */
TcpcLengthCodec
tcpc_block_filter_get_length_codec (TcpcBlockFilter *self)
{
  g_return_val_if_fail (TCPC_IS_BLOCK_FILTER (self), TCPC_LENGTH_CODEC_ASCII);

  return self->length_codec;
}

/**
 * tcpc_block_filter_set_length_codec:
 * @self: a #TcpcBlockFilter
 * @length_codec: the length header of length-prefixed records
 *
 * Sets #TcpcBlockFilter:length-codec. Setting it, even to its current
 * value, makes a #TcpcBlockFilter:block-size invalid.
 *
 * Since: 0.1
 */
void
tcpc_block_filter_set_length_codec (TcpcBlockFilter *self,
                                    TcpcLengthCodec  length_codec)
{
  g_return_if_fail (TCPC_IS_BLOCK_FILTER (self));
  g_return_if_fail (length_codec >= TCPC_LENGTH_CODEC_ASCII &&
                    length_codec <= TCPC_LENGTH_CODEC_UINT64_LE);

  self->length_codec_set = TRUE;

  if (self->length_codec == length_codec)
    return;

  self->length_codec = length_codec;
  self->state = PARSE_HEADER;
  self->skip = 0;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LENGTH_CODEC]);
}

/**
 * tcpc_block_filter_get_max_length:
 * @self: a #TcpcBlockFilter
 *
 * Gets #TcpcBlockFilter:max-length.
 *
 * Returns: the largest length-prefixed record accepted, in bytes
 *
 * Since: 0.1
 */
guint
tcpc_block_filter_get_max_length (TcpcBlockFilter *self)
{
  g_return_val_if_fail (TCPC_IS_BLOCK_FILTER (self), 0);

  return self->max_length;
}

/**
 * tcpc_block_filter_set_max_length:
 * @self: a #TcpcBlockFilter
 * @max_length: the largest length-prefixed record accepted, in bytes; 0 is
 *   invalid
 *
 * Sets #TcpcBlockFilter:max-length. Setting it, even to its current value,
 * makes a #TcpcBlockFilter:block-size invalid.
 *
 * Since: 0.1
 */
void
tcpc_block_filter_set_max_length (TcpcBlockFilter *self,
                                  guint            max_length)
{
  g_return_if_fail (TCPC_IS_BLOCK_FILTER (self));

  self->max_length_set = TRUE;

  if (self->max_length == max_length)
    return;

  self->max_length = max_length;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LENGTH]);
}

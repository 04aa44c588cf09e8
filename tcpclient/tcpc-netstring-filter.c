/* tcpc-netstring-filter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-netstring-filter.h"

#include <string.h>

#include "tcpc-filter-private.h"
#include "tcpc-input-buffer-private.h"

/**
 * SECTION:tcpc-netstring-filter
 * @title: TcpcNetstringFilter
 * @short_description: netstrings, as Twisted's NetstringReceiver speaks them
 *
 * #TcpcNetstringFilter frames records as D. J. Bernstein's netstrings:
 * `<decimal length>:<bytes>,`, so `"hello"` is sent as `"5:hello,"` and the
 * empty record as `"0:,"`. It speaks with Twisted's NetstringReceiver and
 * any other netstring implementation.
 *
 * Input is checked as strictly as Twisted does: a length that is empty,
 * contains a byte other than a digit before the `:`, or has a leading zero
 * (`"05:hello,"`), and a record not followed by `,`, are
 * %TCPC_FILTER_ERROR_MALFORMED. A malformed netstring cannot be skipped,
 * because where the next one begins is unknown: the buffered input is
 * dropped, tcpc_filter_next_record() returns the error once and then %NULL
 * without an error (so that a caller that reads until %NULL does not loop),
 * and every later tcpc_filter_feed() fails with
 * %TCPC_FILTER_ERROR_MALFORMED and discards its data.
 * tcpc_filter_take_pending() starts afresh: it returns the buffered bytes,
 * forgets the malformed state, and the next byte fed is taken as the start
 * of a netstring.
 *
 * #TcpcNetstringFilter:max-length (1 MiB by default) bounds a record. As
 * soon as the digits received exceed it, before the `:` arrives, the
 * record is reported as %TCPC_FILTER_ERROR_RECORD_TOO_LONG; its length
 * header (of any number of digits) and its bytes are then dropped as they
 * arrive, without being buffered, and parsing resumes behind its `,`.
 * tcpc_filter_encode() accepts records of any length.
 *
 * As long as tcpc_filter_next_record() is called until it returns %NULL
 * after every tcpc_filter_feed(), the filter holds at most one netstring
 * plus the last chunk fed. Records that lie within the last chunk fed are
 * slices of it (see g_bytes_new_from_bytes()), without a copy.
 *
 * A #TcpcNetstringFilter:max-length of 0 is invalid: then
 * tcpc_netstring_filter_check_settings(), tcpc_filter_feed(),
 * tcpc_filter_next_record() and tcpc_filter_encode() fail with
 * %TCPC_FILTER_ERROR_INVALID_SETTINGS.
 *
 * Since: 0.1
 */

/**
 * TcpcNetstringFilter:
 *
 * A #TcpcFilter of netstrings. Its fields are private.
 *
 * Since: 0.1
 */

#define PARAM_FLAGS \
  (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)

typedef enum
{
  /* At the start of a netstring. */
  PARSE_HEADER,
  /* Dropping the rest of a length that exceeds max-length; skip holds its
   * value so far.
   */
  PARSE_SKIP_DIGITS,
  /* Dropping the skip bytes of a record that exceeds max-length. */
  PARSE_SKIP_BODY,
  /* Expecting the ',' after a dropped record. */
  PARSE_SKIP_TRAILER,
  /* Malformed input was seen: no way to find the next netstring. */
  PARSE_BROKEN,
} ParseState;

struct _TcpcNetstringFilter
{
  GObject parent_instance;

  guint max_length;

  TcpcInputBuffer input;
  ParseState state;
  guint64 skip;
};

static void tcpc_netstring_filter_filter_iface_init (TcpcFilterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TcpcNetstringFilter, tcpc_netstring_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER,
                                                      tcpc_netstring_filter_filter_iface_init))

enum {
  PROP_0,
  PROP_MAX_LENGTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
validate_settings (TcpcNetstringFilter  *self,
                   GError              **error)
{
  if (self->max_length == 0)
    {
      g_set_error_literal (error, TCPC_FILTER_ERROR,
                           TCPC_FILTER_ERROR_INVALID_SETTINGS,
                           "TcpcNetstringFilter:max-length must be greater than 0");
      return FALSE;
    }

  return TRUE;
}

/* Parsing */

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

static void
set_broken (TcpcNetstringFilter  *self,
            GError              **error,
            const char           *format,
            ...) G_GNUC_PRINTF (3, 4);

/* Drops the input after malformed input. */
static void
set_broken (TcpcNetstringFilter  *self,
            GError              **error,
            const char           *format,
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

static void
set_bad_length_byte (TcpcNetstringFilter  *self,
                     guint8                c,
                     GError              **error)
{
  set_broken (self, error,
              "A netstring length contains byte 0x%02x; only digits "
              "followed by “:” are allowed", c);
}

/* Drops what it can of a too long netstring. Returns TRUE when it is gone
 * and parsing can go on, FALSE when more input is needed or the input is
 * malformed (@error is set then).
 */
static gboolean
skip_too_long (TcpcNetstringFilter  *self,
               GError              **error)
{
  TcpcInputBuffer *input = &self->input;

  for (;;)
    {
      gsize size = _tcpc_input_buffer_get_size (input);
      guint8 c;

      if (size == 0)
        return FALSE;

      switch (self->state)
        {
        case PARSE_SKIP_DIGITS:
          c = _tcpc_input_buffer_peek_byte (input, 0);
          if (c == ':')
            self->state = PARSE_SKIP_BODY;
          else if (is_digit (c))
            self->skip = add_digit (self->skip, c);
          else
            {
              set_bad_length_byte (self, c, error);
              return FALSE;
            }
          _tcpc_input_buffer_skip (input, 1);
          break;

        case PARSE_SKIP_BODY:
          {
            gsize n = (gsize) MIN ((guint64) size, self->skip);

            _tcpc_input_buffer_skip (input, n);
            self->skip -= n;
            if (self->skip == 0)
              self->state = PARSE_SKIP_TRAILER;
          }
          break;

        case PARSE_SKIP_TRAILER:
          c = _tcpc_input_buffer_peek_byte (input, 0);
          if (c != ',')
            {
              set_broken (self, error,
                          "A netstring is followed by byte 0x%02x instead "
                          "of “,”", c);
              return FALSE;
            }
          _tcpc_input_buffer_skip (input, 1);
          self->state = PARSE_HEADER;
          return TRUE;

        case PARSE_HEADER:
        case PARSE_BROKEN:
        default:
          g_assert_not_reached ();
        }
    }
}

static GBytes *
next_netstring (TcpcNetstringFilter  *self,
                GError              **error)
{
  TcpcInputBuffer *input = &self->input;

  for (;;)
    {
      gsize size;
      guint64 value = 0;
      gsize header_len = 0;
      gsize n;
      GBytes *record;

      switch (self->state)
        {
        case PARSE_BROKEN:
          _tcpc_input_buffer_reset (input);
          return NULL;

        case PARSE_SKIP_DIGITS:
        case PARSE_SKIP_BODY:
        case PARSE_SKIP_TRAILER:
          if (!skip_too_long (self, error))
            {
              _tcpc_input_buffer_release (input);
              return NULL;
            }
          continue;

        case PARSE_HEADER:
        default:
          break;
        }

      size = _tcpc_input_buffer_get_size (input);

      for (n = 0; n < size && header_len == 0; n++)
        {
          guint8 c = _tcpc_input_buffer_peek_byte (input, n);

          if (is_digit (c))
            {
              if (n == 1 && value == 0)
                {
                  set_broken (self, error,
                              "A netstring length has a leading zero");
                  return NULL;
                }

              value = add_digit (value, c);
              if (value > self->max_length)
                {
                  /* Too long whatever follows: drop it as it comes. */
                  _tcpc_input_buffer_skip (input, n + 1);
                  self->state = PARSE_SKIP_DIGITS;
                  self->skip = value;
                  g_set_error (error, TCPC_FILTER_ERROR,
                               TCPC_FILTER_ERROR_RECORD_TOO_LONG,
                               "A netstring announces at least "
                               "%" G_GUINT64_FORMAT " bytes, more than "
                               "TcpcNetstringFilter:max-length (%u bytes); "
                               "it is skipped",
                               value, self->max_length);
                  /* The next call skips the rest, and reports malformed
                   * input in it.
                   */
                  return NULL;
                }
            }
          else if (c == ':' && n > 0)
            header_len = n + 1;
          else if (c == ':')
            {
              set_broken (self, error, "A netstring has an empty length");
              return NULL;
            }
          else
            {
              set_bad_length_byte (self, c, error);
              return NULL;
            }
        }

      if (header_len == 0 || size - header_len < value + 1)
        {
          _tcpc_input_buffer_release (input);
          return NULL;
        }

      if (_tcpc_input_buffer_peek_byte (input, header_len + value) != ',')
        {
          set_broken (self, error,
                      "A netstring of %" G_GUINT64_FORMAT " bytes is followed "
                      "by byte 0x%02x instead of “,”",
                      value, _tcpc_input_buffer_peek_byte (input, header_len + value));
          return NULL;
        }

      _tcpc_input_buffer_skip (input, header_len);
      record = _tcpc_input_buffer_take (input, value);
      _tcpc_input_buffer_skip (input, 1);

      return record;
    }
}

/* TcpcFilter */

static gboolean
tcpc_netstring_filter_feed (TcpcFilter  *filter,
                            GBytes      *data,
                            GError     **error)
{
  TcpcNetstringFilter *self = (TcpcNetstringFilter *) filter;

  if (!validate_settings (self, error))
    return FALSE;

  if (self->state == PARSE_BROKEN)
    {
      if (g_bytes_get_size (data) == 0)
        return TRUE;

      g_set_error_literal (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED,
                           "The input is out of step since a malformed "
                           "netstring; received bytes are discarded");
      return FALSE;
    }

  _tcpc_input_buffer_feed (&self->input, data);

  return TRUE;
}

static GBytes *
tcpc_netstring_filter_next_record (TcpcFilter  *filter,
                                   GError     **error)
{
  TcpcNetstringFilter *self = (TcpcNetstringFilter *) filter;

  if (!validate_settings (self, error))
    return NULL;

  return next_netstring (self, error);
}

/* "<decimal length>:", the record, "," */
static gboolean
tcpc_netstring_filter_frame (TcpcFilter  *filter,
                             gsize        length,
                             TcpcFrame   *frame,
                             GError     **error)
{
  TcpcNetstringFilter *self = (TcpcNetstringFilter *) filter;

  if (!validate_settings (self, error))
    return FALSE;

  frame->prefix_len = g_snprintf ((char *) frame->prefix, sizeof frame->prefix,
                                  "%" G_GSIZE_FORMAT ":", length);
  frame->suffix = ",";
  frame->suffix_len = 1;
  return TRUE;
}

static GBytes *
tcpc_netstring_filter_encode (TcpcFilter  *filter,
                              GBytes      *record,
                              GError     **error)
{
  return _tcpc_filter_encode_framed (filter, tcpc_netstring_filter_frame, record, error);
}

static GBytes *
tcpc_netstring_filter_take_pending (TcpcFilter *filter)
{
  TcpcNetstringFilter *self = (TcpcNetstringFilter *) filter;

  self->state = PARSE_HEADER;
  self->skip = 0;

  return _tcpc_input_buffer_take_all (&self->input);
}

static TcpcFilter *
tcpc_netstring_filter_clone (TcpcFilter *filter)
{
  TcpcNetstringFilter *self = (TcpcNetstringFilter *) filter;

  return g_object_new (TCPC_TYPE_NETSTRING_FILTER,
                       "max-length", self->max_length,
                       NULL);
}

static void
tcpc_netstring_filter_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = tcpc_netstring_filter_feed;
  iface->next_record = tcpc_netstring_filter_next_record;
  iface->encode = tcpc_netstring_filter_encode;
  iface->take_pending = tcpc_netstring_filter_take_pending;
  iface->clone = tcpc_netstring_filter_clone;
}

/* GObject */

static void
tcpc_netstring_filter_finalize (GObject *object)
{
  TcpcNetstringFilter *self = (TcpcNetstringFilter *) object;

  _tcpc_input_buffer_clear (&self->input);

  G_OBJECT_CLASS (tcpc_netstring_filter_parent_class)->finalize (object);
}

static void
tcpc_netstring_filter_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TcpcNetstringFilter *self = TCPC_NETSTRING_FILTER (object);

  switch (prop_id)
    {
    case PROP_MAX_LENGTH:
      g_value_set_uint (value, tcpc_netstring_filter_get_max_length (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tcpc_netstring_filter_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  TcpcNetstringFilter *self = TCPC_NETSTRING_FILTER (object);

  switch (prop_id)
    {
    case PROP_MAX_LENGTH:
      tcpc_netstring_filter_set_max_length (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tcpc_netstring_filter_class_init (TcpcNetstringFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _tcpc_filter_type_set_frame_func (G_TYPE_FROM_CLASS (klass), tcpc_netstring_filter_frame);

  object_class->finalize = tcpc_netstring_filter_finalize;
  object_class->get_property = tcpc_netstring_filter_get_property;
  object_class->set_property = tcpc_netstring_filter_set_property;

  /**
   * TcpcNetstringFilter:max-length:
   *
   * The longest record accepted on input, in bytes (Twisted's
   * `MAX_LENGTH`). A longer one is a %TCPC_FILTER_ERROR_RECORD_TOO_LONG
   * error. 0 is accepted by the property but makes the settings invalid.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_LENGTH] =
    g_param_spec_uint ("max-length", NULL, NULL,
                       0, G_MAXUINT, TCPC_NETSTRING_FILTER_DEFAULT_MAX_LENGTH,
                       PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tcpc_netstring_filter_init (TcpcNetstringFilter *self)
{
  self->max_length = TCPC_NETSTRING_FILTER_DEFAULT_MAX_LENGTH;
  self->state = PARSE_HEADER;
  _tcpc_input_buffer_init (&self->input);
}

/* Public API */

/**
 * tcpc_netstring_filter_new:
 *
 * Creates a netstring filter whose records may be up to
 * %TCPC_NETSTRING_FILTER_DEFAULT_MAX_LENGTH bytes long.
 *
 * Returns: (transfer full): a new #TcpcNetstringFilter
 *
 * Since: 0.1
 */
TcpcNetstringFilter *
tcpc_netstring_filter_new (void)
{
  return g_object_new (TCPC_TYPE_NETSTRING_FILTER, NULL);
}

/**
 * tcpc_netstring_filter_check_settings:
 * @self: a #TcpcNetstringFilter
 * @error: return location for a #GError
 *
 * Checks that the settings of @self are valid: a
 * #TcpcNetstringFilter:max-length above 0. tcpc_filter_feed(),
 * tcpc_filter_next_record() and tcpc_filter_encode() fail with the same
 * error while the settings are invalid.
 *
 * Returns: %TRUE if the settings are valid; %FALSE with @error set to a
 *   %TCPC_FILTER_ERROR_INVALID_SETTINGS error otherwise
 *
 * Since: 0.1
 */
gboolean
tcpc_netstring_filter_check_settings (TcpcNetstringFilter  *self,
                                      GError              **error)
{
  g_return_val_if_fail (TCPC_IS_NETSTRING_FILTER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return validate_settings (self, error);
}

/**
 * tcpc_netstring_filter_get_max_length:
 * @self: a #TcpcNetstringFilter
 *
 * Gets #TcpcNetstringFilter:max-length.
 *
 * Returns: the longest record accepted, in bytes
 *
 * Since: 0.1
 */
guint
tcpc_netstring_filter_get_max_length (TcpcNetstringFilter *self)
{
  g_return_val_if_fail (TCPC_IS_NETSTRING_FILTER (self), 0);

  return self->max_length;
}

/**
 * tcpc_netstring_filter_set_max_length:
 * @self: a #TcpcNetstringFilter
 * @max_length: the longest record accepted, in bytes; 0 is invalid
 *
 * Sets #TcpcNetstringFilter:max-length.
 *
 * Since: 0.1
 */
void
tcpc_netstring_filter_set_max_length (TcpcNetstringFilter *self,
                                      guint                max_length)
{
  g_return_if_fail (TCPC_IS_NETSTRING_FILTER (self));

  if (self->max_length == max_length)
    return;

  self->max_length = max_length;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LENGTH]);
}

/* gtk-console.c: a GTK 4 console for a line server, built on TcpcClient.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Host and port entries, Connect and Disconnect, a live log of every signal,
 * state change and record, an input line that puts records, and the
 * auto-reconnect switch with its countdown. The widgets follow the client
 * through property bindings (g_object_bind_property_full()): the state
 * label, the countdown label and the sensitivity of the buttons are bound to
 * TcpcClient:state and TcpcClient:next-retry; the Auto-reconnect and TLS
 * switches are bound both ways to the properties of the same name.
 *
 *   tcpc-gtk-console [--host=HOST] [--port=PORT] [--auto-connect]
 *                    [--auto-reconnect] [--send=LINE ...]
 *                    [--screenshot=FILE.png [--quit-after-screenshot]]
 *
 * --send puts LINE on every connection, as if typed. --screenshot saves the
 * window as a PNG once records have arrived and the log has been quiet for
 * half a second (used by the test and for docs/gtk-console.png); with
 * --quit-after-screenshot the program then exits, with status 0 if the PNG
 * was written and 1 otherwise (also when nothing arrived within 20 s).
 */

#include <locale.h>

#include <gtk/gtk.h>
#include <tcpclient.h>

#define SCREENSHOT_QUIET_MS 500
#define SCREENSHOT_GIVE_UP_S 20

typedef struct
{
  GtkApplication *app;
  TcpcClient     *client;

  GtkWidget      *window;
  GtkWidget      *host_entry;
  GtkWidget      *port_spin;
  GtkWidget      *input_entry;
  GtkTextView    *log_view;
  GtkTextBuffer  *log;

  /* command line */
  char           *host;
  int             port;
  gboolean        auto_connect;
  gboolean        auto_reconnect;
  char          **send;
  char           *screenshot;
  gboolean        quit_after_screenshot;

  guint           screenshot_timer;
  guint           give_up_timer;
  gboolean        screenshot_taken;
  int             status;
} Console;

/* ---- the log */

static void
log_append (Console    *console,
            const char *tag,
            const char *format,
            ...) G_GNUC_PRINTF (3, 4);

static void
log_append (Console    *console,
            const char *tag,
            const char *format,
            ...)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *text = NULL;
  GtkTextIter end;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  gtk_text_buffer_get_end_iter (console->log, &end);
  gtk_text_buffer_insert_with_tags_by_name (console->log, &end, stamp, -1, "time", NULL);
  gtk_text_buffer_insert (console->log, &end, "  ", -1);
  gtk_text_buffer_insert_with_tags_by_name (console->log, &end, text, -1, tag, NULL);
  gtk_text_buffer_insert (console->log, &end, "\n", -1);

  /* follow the end of the log */
  gtk_text_buffer_get_end_iter (console->log, &end);
  gtk_text_buffer_place_cursor (console->log, &end);
  gtk_text_view_scroll_to_mark (console->log_view,
                                gtk_text_buffer_get_insert (console->log),
                                0.0, FALSE, 0.0, 1.0);
}

static const char *
state_nick (TcpcClientState state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (TCPC_TYPE_CLIENT_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  return value != NULL ? value->value_nick : "?";
}

/* ---- bindings: client properties -> widgets */

static gboolean
state_to_label (GBinding     *binding,
                const GValue *from,
                GValue       *to,
                gpointer      user_data)
{
  const char *label = "";

  switch ((TcpcClientState) g_value_get_enum (from))
    {
    case TCPC_CLIENT_STATE_IDLE:          label = "Not connected"; break;
    case TCPC_CLIENT_STATE_CONNECTING:    label = "Connecting…"; break;
    case TCPC_CLIENT_STATE_CONNECTED:     label = "Connected"; break;
    case TCPC_CLIENT_STATE_SHUTTING_DOWN: label = "Disconnecting…"; break;
    case TCPC_CLIENT_STATE_CLOSED:        label = "Closed"; break;
    default: break;
    }
  g_value_set_string (to, label);
  return TRUE;
}

static gboolean
state_to_css_classes (GBinding     *binding,
                      const GValue *from,
                      GValue       *to,
                      gpointer      user_data)
{
  static const char *connected[] = { "state", "state-up", NULL };
  static const char *busy[] = { "state", "state-busy", NULL };
  static const char *down[] = { "state", "state-down", NULL };
  const char **classes = down;

  switch ((TcpcClientState) g_value_get_enum (from))
    {
    case TCPC_CLIENT_STATE_CONNECTED:
      classes = connected;
      break;
    case TCPC_CLIENT_STATE_CONNECTING:
    case TCPC_CLIENT_STATE_SHUTTING_DOWN:
      classes = busy;
      break;
    case TCPC_CLIENT_STATE_IDLE:
    case TCPC_CLIENT_STATE_CLOSED:
    default:
      break;
    }
  g_value_set_boxed (to, classes);
  return TRUE;
}

/* Connect works on an idle or closed client; Disconnect while it is
 * connecting (or waiting for a retry) or connected. */
static gboolean
state_to_can_connect (GBinding     *binding,
                      const GValue *from,
                      GValue       *to,
                      gpointer      user_data)
{
  TcpcClientState state = g_value_get_enum (from);

  g_value_set_boolean (to, state == TCPC_CLIENT_STATE_IDLE || state == TCPC_CLIENT_STATE_CLOSED);
  return TRUE;
}

static gboolean
state_to_can_disconnect (GBinding     *binding,
                         const GValue *from,
                         GValue       *to,
                         gpointer      user_data)
{
  TcpcClientState state = g_value_get_enum (from);

  g_value_set_boolean (to, state == TCPC_CLIENT_STATE_CONNECTING ||
                           state == TCPC_CLIENT_STATE_CONNECTED);
  return TRUE;
}

static gboolean
state_to_can_send (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  g_value_set_boolean (to, g_value_get_enum (from) == TCPC_CLIENT_STATE_CONNECTED);
  return TRUE;
}

static gboolean
next_retry_to_label (GBinding     *binding,
                     const GValue *from,
                     GValue       *to,
                     gpointer      user_data)
{
  guint seconds = g_value_get_uint (from);
  g_autoptr(GObject) client = g_binding_dup_source (binding);

  if (seconds == 0 || client == NULL)
    g_value_set_string (to, "");
  else
    g_value_take_string (to, g_strdup_printf ("Retry %u in %u s",
                                              tcpc_client_get_reconnect_attempt (TCPC_CLIENT (client)),
                                              seconds));
  return TRUE;
}

static gboolean
nonzero_to_boolean (GBinding     *binding,
                    const GValue *from,
                    GValue       *to,
                    gpointer      user_data)
{
  g_value_set_boolean (to, g_value_get_uint (from) != 0);
  return TRUE;
}

/* ---- the screenshot */

/* Draws @part where it is in the window. A GtkWidgetPaintable shows what
 * the widget drew in its last frame; the window itself keeps no such
 * picture, its titlebar and its child do. */
static void
snapshot_part (GtkSnapshot *snapshot,
               GtkWidget   *window,
               GtkWidget   *part)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  graphene_rect_t bounds;

  if (part == NULL || !gtk_widget_get_mapped (part) ||
      !gtk_widget_compute_bounds (part, window, &bounds))
    return;

  paintable = gtk_widget_paintable_new (part);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &bounds.origin);
  gdk_paintable_snapshot (paintable, snapshot, bounds.size.width, bounds.size.height);
  gtk_snapshot_restore (snapshot);
}

static gboolean
save_screenshot (Console *console)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (console->window));
  int width = gtk_widget_get_width (console->window);
  int height = gtk_widget_get_height (console->window);

  if (width <= 0 || height <= 0 || renderer == NULL)
    {
      g_printerr ("screenshot: the window is not shown\n");
      return FALSE;
    }

  snapshot_part (snapshot, console->window, gtk_window_get_titlebar (GTK_WINDOW (console->window)));
  snapshot_part (snapshot, console->window, gtk_window_get_child (GTK_WINDOW (console->window)));
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    {
      g_printerr ("screenshot: the window drew nothing\n");
      return FALSE;
    }

  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  return texture != NULL && gdk_texture_save_to_png (texture, console->screenshot);
}

static void
after_paint_cb (GdkFrameClock *clock,
                Console       *console)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, console);
  if (console->screenshot_taken)
    return;
  console->screenshot_taken = TRUE;

  if (save_screenshot (console))
    {
      g_print ("screenshot saved to %s\n", console->screenshot);
      console->status = 0;
    }
  else
    {
      g_printerr ("could not save the screenshot to %s\n", console->screenshot);
      console->status = 1;
    }

  if (console->quit_after_screenshot)
    g_application_quit (G_APPLICATION (console->app));
}

/* The log has been quiet for a while: take the picture right after the
 * next frame is painted, when every widget holds what it has just drawn. */
static gboolean
screenshot_timer_cb (gpointer user_data)
{
  Console *console = user_data;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (console->window);

  console->screenshot_timer = 0;
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), console);
  gtk_widget_queue_draw (console->window);
  return G_SOURCE_REMOVE;
}

static gboolean
give_up_cb (gpointer user_data)
{
  Console *console = user_data;

  console->give_up_timer = 0;
  if (!console->screenshot_taken)
    {
      g_printerr ("no records within %d s: no screenshot\n", SCREENSHOT_GIVE_UP_S);
      console->status = 1;
      g_application_quit (G_APPLICATION (console->app));
    }
  return G_SOURCE_REMOVE;
}

/* ---- the client's signals */

static void
started_cb (TcpcClient *client,
            Console    *console)
{
  log_append (console, "signal", "started: connecting to %s port %u",
              tcpc_client_get_remote_address (client),
              tcpc_client_get_remote_port (client));
}

static void
connected_cb (TcpcClient     *client,
              GIOStream      *stream,
              GSocketAddress *address,
              Console        *console)
{
  g_autofree char *peer = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));

  log_append (console, "signal", "connected to %s", peer);

  for (char **line = console->send; line != NULL && *line != NULL; line++)
    {
      g_autoptr(GError) error = NULL;

      if (tcpc_client_put_string (client, *line, &error))
        log_append (console, "out", "» %s", *line);
      else
        log_append (console, "error", "put failed: %s", error->message);
    }
  gtk_editable_select_region (GTK_EDITABLE (console->host_entry), 0, 0);
  gtk_widget_grab_focus (console->input_entry);
}

static void
connect_error_cb (TcpcClient   *client,
                  const char   *operation,
                  const GError *error,
                  Console      *console)
{
  log_append (console, "error", "connect-error (%s): %s", operation, error->message);
}

static void
server_input_cb (TcpcClient *client,
                 GBytes     *record,
                 Console    *console)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (record, &length);
  g_autofree char *text = g_utf8_make_valid (data != NULL ? data : "", length);

  log_append (console, "in", "« %s", text);

  if (console->screenshot != NULL && !console->screenshot_taken)
    {
      g_clear_handle_id (&console->screenshot_timer, g_source_remove);
      console->screenshot_timer = g_timeout_add (SCREENSHOT_QUIET_MS, screenshot_timer_cb, console);
    }
}

static void
server_error_cb (TcpcClient   *client,
                 const char   *operation,
                 const GError *error,
                 Console      *console)
{
  log_append (console, "error", "server-error (%s): %s", operation, error->message);
}

static void
flushed_cb (TcpcClient *client,
            Console    *console)
{
  log_append (console, "signal", "flushed");
}

static void
disconnected_cb (TcpcClient *client,
                 Console    *console)
{
  log_append (console, "signal", "disconnected");
}

static void
notify_state_cb (TcpcClient *client,
                 GParamSpec *pspec,
                 Console    *console)
{
  log_append (console, "state", "state → %s", state_nick (tcpc_client_get_state (client)));
}

/* ---- the widgets' signals */

static void
connect_clicked_cb (GtkButton *button,
                    Console   *console)
{
  const char *host = gtk_editable_get_text (GTK_EDITABLE (console->host_entry));
  int port = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (console->port_spin));

  if (*host == '\0')
    {
      log_append (console, "error", "no host");
      return;
    }
  /* on a closed client, connect_to () starts it */
  tcpc_client_connect_to (console->client, host, (guint16) port);
}

static void
disconnect_clicked_cb (GtkButton *button,
                       Console   *console)
{
  tcpc_client_shutdown (console->client);
}

static void
retry_now_clicked_cb (GtkButton *button,
                      Console   *console)
{
  tcpc_client_retry_now (console->client);
}

static void
send_cb (GtkWidget *widget,
         Console   *console)
{
  g_autofree char *line = g_strdup (gtk_editable_get_text (GTK_EDITABLE (console->input_entry)));
  g_autoptr(GError) error = NULL;

  if (tcpc_client_put_string (console->client, line, &error))
    {
      log_append (console, "out", "» %s", line);
      gtk_editable_set_text (GTK_EDITABLE (console->input_entry), "");
    }
  else
    log_append (console, "error", "put failed: %s", error->message);
}

/* ---- building the window */

static GtkWidget *
labelled (const char *text,
          GtkWidget  *widget)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), widget);
  return box;
}

static void
bind_state (Console               *console,
            GtkWidget             *widget,
            const char            *property,
            GBindingTransformFunc  transform)
{
  g_object_bind_property_full (console->client, "state", widget, property,
                               G_BINDING_SYNC_CREATE, transform, NULL, NULL, NULL);
}

static void
build_window (Console *console)
{
  GtkWidget *window, *header, *main_box, *row, *button, *label, *check, *scrolled, *view;
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  gtk_css_provider_load_from_data (css,
                                   ".console { padding: 12px; }"
                                   ".log { font-family: monospace; padding: 6px; }"
                                   ".state { font-weight: bold; }"
                                   ".state-up { color: #26a269; }"
                                   ".state-busy { color: #c64600; }"
                                   ".state-down { color: #77767b; }"
                                   ".countdown { color: #c64600; }",
                                   -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  window = gtk_application_window_new (console->app);
  console->window = window;
  gtk_window_set_title (GTK_WINDOW (window), "tcpclient console");
  gtk_window_set_default_size (GTK_WINDOW (window), 860, 540);

  header = gtk_header_bar_new ();
  gtk_window_set_titlebar (GTK_WINDOW (window), header);

  main_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  /* draws the window's background itself (padding, not margins), for
   * the screenshot */
  gtk_widget_add_css_class (main_box, "background");
  gtk_widget_add_css_class (main_box, "console");
  gtk_window_set_child (GTK_WINDOW (window), main_box);

  /* host, port, connect, disconnect */
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_append (GTK_BOX (main_box), row);

  console->host_entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (console->host_entry),
                         console->host != NULL ? console->host : "localhost");
  gtk_widget_set_hexpand (console->host_entry, TRUE);
  label = labelled ("_Host", console->host_entry);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (row), label);

  console->port_spin = gtk_spin_button_new_with_range (1, 65535, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (console->port_spin), console->port);
  gtk_box_append (GTK_BOX (row), labelled ("_Port", console->port_spin));

  button = gtk_button_new_with_mnemonic ("_Connect");
  gtk_widget_add_css_class (button, "suggested-action");
  g_signal_connect (button, "clicked", G_CALLBACK (connect_clicked_cb), console);
  g_signal_connect (console->host_entry, "activate", G_CALLBACK (connect_clicked_cb), console);
  bind_state (console, button, "sensitive", state_to_can_connect);
  gtk_box_append (GTK_BOX (row), button);

  button = gtk_button_new_with_mnemonic ("_Disconnect");
  g_signal_connect (button, "clicked", G_CALLBACK (disconnect_clicked_cb), console);
  bind_state (console, button, "sensitive", state_to_can_disconnect);
  gtk_box_append (GTK_BOX (row), button);

  /* state, countdown, switches */
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_append (GTK_BOX (main_box), row);

  label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  bind_state (console, label, "label", state_to_label);
  bind_state (console, label, "css-classes", state_to_css_classes);
  gtk_box_append (GTK_BOX (row), label);

  label = gtk_label_new (NULL);
  gtk_widget_add_css_class (label, "countdown");
  g_object_bind_property_full (console->client, "next-retry", label, "label",
                               G_BINDING_SYNC_CREATE, next_retry_to_label, NULL, NULL, NULL);
  g_object_bind_property_full (console->client, "next-retry", label, "visible",
                               G_BINDING_SYNC_CREATE, nonzero_to_boolean, NULL, NULL, NULL);
  gtk_box_append (GTK_BOX (row), label);

  button = gtk_button_new_with_mnemonic ("_Retry now");
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect (button, "clicked", G_CALLBACK (retry_now_clicked_cb), console);
  g_object_bind_property_full (console->client, "next-retry", button, "visible",
                               G_BINDING_SYNC_CREATE, nonzero_to_boolean, NULL, NULL, NULL);
  gtk_box_append (GTK_BOX (row), button);

  label = gtk_label_new (NULL);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (row), label);

  check = gtk_check_button_new_with_mnemonic ("_TLS");
  g_object_bind_property (console->client, "tls", check, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  gtk_box_append (GTK_BOX (row), check);

  check = gtk_check_button_new_with_mnemonic ("_Auto-reconnect");
  g_object_bind_property (console->client, "auto-reconnect", check, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  gtk_box_append (GTK_BOX (row), check);

  /* the log */
  view = gtk_text_view_new ();
  console->log_view = GTK_TEXT_VIEW (view);
  console->log = gtk_text_view_get_buffer (console->log_view);
  gtk_text_view_set_editable (console->log_view, FALSE);
  gtk_text_view_set_cursor_visible (console->log_view, FALSE);
  gtk_text_view_set_wrap_mode (console->log_view, GTK_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (view, "log");
  gtk_text_buffer_create_tag (console->log, "time", "foreground", "#77767b", NULL);
  gtk_text_buffer_create_tag (console->log, "signal", "foreground", "#1c71d8", NULL);
  gtk_text_buffer_create_tag (console->log, "state", "foreground", "#9141ac", NULL);
  gtk_text_buffer_create_tag (console->log, "in", "foreground", "#26a269", NULL);
  gtk_text_buffer_create_tag (console->log, "out", "foreground", "#c64600",
                              "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (console->log, "error", "foreground", "#c01c28",
                              "weight", PANGO_WEIGHT_BOLD, NULL);

  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_widget_add_css_class (scrolled, "frame");
  gtk_box_append (GTK_BOX (main_box), scrolled);

  /* the input line */
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (main_box), row);

  console->input_entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (console->input_entry),
                                  "A line to send, then Enter");
  gtk_widget_set_hexpand (console->input_entry, TRUE);
  /* The entry stays sensitive: GTK 4.8 warns when a focused entry becomes
   * insensitive, and a line typed while not connected is answered in the
   * log. */
  g_signal_connect (console->input_entry, "activate", G_CALLBACK (send_cb), console);
  gtk_box_append (GTK_BOX (row), console->input_entry);

  button = gtk_button_new_with_mnemonic ("_Send");
  g_signal_connect (button, "clicked", G_CALLBACK (send_cb), console);
  bind_state (console, button, "sensitive", state_to_can_send);
  gtk_box_append (GTK_BOX (row), button);
}

static void
activate_cb (GtkApplication *app,
             Console        *console)
{
  if (console->window != NULL)
    {
      gtk_window_present (GTK_WINDOW (console->window));
      return;
    }

  console->client = g_object_new (TCPC_TYPE_CLIENT,
                                  "name", "gtk-console",
                                  "auto-reconnect", console->auto_reconnect,
                                  "reconnect-max-delay", 30.0,
                                  NULL);
  g_signal_connect (console->client, "started", G_CALLBACK (started_cb), console);
  g_signal_connect (console->client, "connected", G_CALLBACK (connected_cb), console);
  g_signal_connect (console->client, "connect-error", G_CALLBACK (connect_error_cb), console);
  g_signal_connect (console->client, "server-input", G_CALLBACK (server_input_cb), console);
  g_signal_connect (console->client, "server-error", G_CALLBACK (server_error_cb), console);
  g_signal_connect (console->client, "flushed", G_CALLBACK (flushed_cb), console);
  g_signal_connect (console->client, "disconnected", G_CALLBACK (disconnected_cb), console);
  g_signal_connect (console->client, "notify::state", G_CALLBACK (notify_state_cb), console);

  build_window (console);
  log_append (console, "state", "tcpclient %s, GTK %u.%u.%u", TCPC_VERSION_S,
              gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version ());
  gtk_window_present (GTK_WINDOW (console->window));

  if (console->screenshot != NULL)
    console->give_up_timer = g_timeout_add_seconds (SCREENSHOT_GIVE_UP_S, give_up_cb, console);
  if (console->auto_connect)
    connect_clicked_cb (NULL, console);
}

static void
shutdown_cb (GApplication *app,
             Console      *console)
{
  g_clear_handle_id (&console->screenshot_timer, g_source_remove);
  g_clear_handle_id (&console->give_up_timer, g_source_remove);
  if (console->client != NULL)
    g_signal_handlers_disconnect_by_data (console->client, console);
  g_clear_object (&console->client);
}

int
main (int   argc,
      char *argv[])
{
  Console console = { 0 };
  g_autoptr(GtkApplication) app = NULL;
  int status;
  const GOptionEntry options[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &console.host,
      "The server's host name or address (default: localhost)", "HOST" },
    { "port", 0, 0, G_OPTION_ARG_INT, &console.port,
      "The server's port (default: 7)", "PORT" },
    { "auto-connect", 0, 0, G_OPTION_ARG_NONE, &console.auto_connect,
      "Connect at once", NULL },
    { "auto-reconnect", 0, 0, G_OPTION_ARG_NONE, &console.auto_reconnect,
      "Start with Auto-reconnect on", NULL },
    { "send", 0, 0, G_OPTION_ARG_STRING_ARRAY, &console.send,
      "Put LINE on every connection (may be repeated)", "LINE" },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &console.screenshot,
      "Save the window as a PNG once records have arrived", "FILE" },
    { "quit-after-screenshot", 0, 0, G_OPTION_ARG_NONE, &console.quit_after_screenshot,
      "Exit once the screenshot is saved", NULL },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");
  console.port = 7;
  console.status = 0;

  /* Several consoles may run at once: no single-instance handling. */
  app = gtk_application_new ("org.tcpclient.GtkConsole", G_APPLICATION_NON_UNIQUE);
  console.app = app;
  g_application_add_main_option_entries (G_APPLICATION (app), options);
  g_application_set_option_context_summary (G_APPLICATION (app),
                                            "A console for line servers, built on tcpclient.");
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), &console);
  g_signal_connect (app, "shutdown", G_CALLBACK (shutdown_cb), &console);

  status = g_application_run (G_APPLICATION (app), argc, argv);
  if (status == 0 && console.screenshot != NULL && console.quit_after_screenshot)
    status = console.status;

  g_free (console.host);
  g_free (console.screenshot);
  g_strfreev (console.send);
  return status;
}

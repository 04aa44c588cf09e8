/* head.vala: the POE::Component::Client::TCP synopsis, in Vala.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Connects to HOST (port 80 unless PORT is given), sends "HEAD / HTTP/1.0"
 * and an empty line, and prints every line the server sends back.
 *
 *   tcpc-head-vala HOST [PORT]
 *
 * Build it outside the source tree with
 *   valac --pkg tcpclient-1.0 head.vala
 *
 * Exit status: 0 once the server has closed the connection, 1 when the
 * connection could not be made, 2 on a usage error.
 */

int main (string[] args) {
    uint port = 80;

    if (args.length < 2 || args.length > 3 ||
        (args.length == 3 && !uint.try_parse (args[2], out port, null, 10)) ||
        port < 1 || port > uint16.MAX) {
        printerr ("usage: %s HOST [PORT]\n", args[0]);
        return 2;
    }

    var loop = new MainLoop ();
    int status = 0;

    var client = new Tcpc.Client (args[1], (uint16) port);
    client.connected.connect ((stream, remote_address) => {
        try {
            client.put_string ("HEAD / HTTP/1.0");
            client.put_string ("");
        } catch (Error e) {
            printerr ("put failed: %s\n", e.message);
        }
    });
    client.server_input.connect ((record) => {
        unowned uint8[] data = record.get_data ();
        print ("from server: %.*s\n", data.length, (string) data);
    });
    client.connect_error.connect ((operation, error) => {
        printerr ("%s error: %s\n", operation, error.message);
        status = 1;
        loop.quit ();
    });
    client.disconnected.connect (() => loop.quit ());

    client.start ();
    loop.run ();
    return status;
}

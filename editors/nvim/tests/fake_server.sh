#!/usr/bin/env bash
# A hand-written fake of `aliasd stdio` for the protocol cases the real
# daemon never produces: another protocol version, server -> client
# requests, window/showMessage and window/logMessage, a garbage frame.
# Speaks Content-Length framing; records every frame it reads in
# $FAKE_LOG; behaves as $FAKE_MODE says:
#   version2  initialize answers protocolVersion 2
#   chatty    protocol 1; after "initialized" it sends a garbage frame,
#             window/showMessage, window/logMessage, a request
#             window/workDoneProgress/create (id "srv-1") and an unknown
#             request (id "srv-2"); alias/status answers normally
set -u
export LC_ALL=C
log=${FAKE_LOG:-/dev/null}
mode=${FAKE_MODE:-chatty}

send() {
  printf 'Content-Length: %d\r\n\r\n%s' "${#1}" "$1"
}

len=0
while IFS= read -r line; do
  line=${line%$'\r'}
  case $line in
    [Cc]ontent-[Ll]ength:*)
      len=${line#*:}
      len=${len// /}
      ;;
    '')
      IFS= read -r -N "$len" body || exit 0
      printf '%s\n' "$body" >>"$log"
      id=$(printf '%s' "$body" | grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2)
      method=$(printf '%s' "$body" | grep -o '"method":"[^"]*"' | head -n 1 | cut -d'"' -f4)
      method=${method//\\/} # vim.json writes "/" as "\/"
      case $method in
        initialize)
          pv=1
          [ "$mode" = version2 ] && pv=2
          send '{"jsonrpc":"2.0","id":'"$id"',"result":{"capabilities":{"experimental":{"protocolVersion":'"$pv"',"methods":["alias/status"],"notifications":[]}},"serverInfo":{"name":"fake","version":"0"}}}'
          ;;
        initialized)
          if [ "$mode" = chatty ]; then
            printf 'Content-Length: 5\r\n\r\n{oops'
            send '{"jsonrpc":"2.0","method":"window/showMessage","params":{"type":2,"message":"fake warning shown"}}'
            send '{"jsonrpc":"2.0","method":"window/logMessage","params":{"type":3,"message":"fake log line"}}'
            send '{"jsonrpc":"2.0","id":"srv-1","method":"window/workDoneProgress/create","params":{"token":"t1"}}'
            send '{"jsonrpc":"2.0","id":"srv-2","method":"fake/unknown","params":{}}'
          fi
          ;;
        alias/status)
          send '{"jsonrpc":"2.0","id":'"$id"',"result":{"version":"0","protocolVersion":1,"apiVersion":"1.3.6","baseUrl":"http://fake","profile":"","tokenStorage":"memory","dataDir":"/fake","mode":"standalone"}}'
          ;;
        shutdown)
          send '{"jsonrpc":"2.0","id":'"$id"',"result":null}'
          ;;
        exit)
          exit 0
          ;;
        '')
          ;; # a response to one of our requests
        *)
          [ -n "$id" ] && send '{"jsonrpc":"2.0","id":'"$id"',"error":{"code":-32601,"message":"method not found: '"$method"'"}}'
          ;;
      esac
      len=0
      ;;
  esac
done

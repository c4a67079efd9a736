#!/bin/bash
# The tree shows the design: unlock/ has one folder per layer, a layer includes only the layers
# below it (base, crypto, luks, dm, token, open, boot, cmd, in that order), no header includes
# itself round a cycle, and no file is longer than about 600 lines. tpm2/ and pkcs11/ are the token
# helpers, programs of their own: they take only base/, the locked secrets, the token protocol and
# the base64 reader; enroll/, the enrollment program, takes the helpers' TPM and
# PKCS#11 code and the passphrase prompt too. No layer of unlock takes anything of them.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"

python3 - "$TOP/unlock" >"$WORK/layout" <<'PY'
import os, re, sys
root = sys.argv[1]
order = ["base", "crypto", "luks", "dm", "token", "open", "boot", "cmd"]
programs = {
    "tpm2": ("base/", "crypto/secret.h", "token/message.h", "token/protocol.h", "token/serve.h", "luks/base64.h", "tpm2/"),
    "pkcs11": ("base/", "crypto/secret.h", "token/protocol.h", "token/serve.h", "luks/base64.h", "pkcs11/"),
    "enroll": ("base/", "crypto/secret.h", "token/protocol.h", "tpm2/", "pkcs11/", "open/prompt.h", "open/keyfile.h",
               "enroll/"),
}
files = {}
for layer in os.listdir(root):
    d = os.path.join(root, layer)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if f.endswith((".c", ".h")):
                files[layer + "/" + f] = open(os.path.join(d, f)).read()
stray = [f for f in os.listdir(root) if f.endswith((".c", ".h"))]
print("stray " + (" ".join(sorted(stray)) or "-"))
up, long = [], []
graph = {}
for name, text in files.items():
    layer = name.split("/")[0]
    incs = re.findall(r'#include "([^"]+)"', text)
    graph[name] = [i for i in incs if i.endswith(".h")]
    for inc in incs:
        target = inc.split("/")[0]
        if layer in programs:
            if not inc.startswith(programs[layer]):
                up.append(f"{name}->{inc}")
            continue
        if layer not in order or target not in order or order.index(target) > order.index(layer):
            up.append(f"{name}->{inc}")
    if text.count("\n") > 600:
        long.append(f"{name}:{text.count(chr(10))}")
print("upward " + (" ".join(sorted(up)) or "-"))
print("long " + (" ".join(sorted(long)) or "-"))
cycles = []
def visit(node, path):
    for nxt in graph.get(node, []):
        if nxt in path:
            cycles.append("->".join(path[path.index(nxt):] + [nxt]))
        elif nxt in graph and len(path) < 30:
            visit(nxt, path + [nxt])
for h in [n for n in graph if n.endswith(".h")]:
    visit(h, [h])
print("cycles " + (" ".join(sorted(set(cycles))) or "-"))
PY
value() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$WORK/layout"; }
check_eq "layout: no source file outside a layer's folder" "-" "$(value stray)"
check_eq "layout: every include is of the same layer or one below it" "-" "$(value upward)"
check_eq "layout: no file over 600 lines" "-" "$(value long)"
check_eq "layout: no include cycle" "-" "$(value cycles)"

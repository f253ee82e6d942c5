#!/usr/bin/env python3
"""Write wycheproof_ed25519.txt from Wycheproof's testvectors_v1/ed25519_test.json
(https://github.com/C2SP/wycheproof). One test per line:
    <tcId> <valid|invalid> <public key hex> <message hex or -> <signature hex or ->
Usage: wycheproof_ed25519.py ed25519_test.json > wycheproof_ed25519.txt"""
import json
import sys


def main():
    doc = json.load(open(sys.argv[1]))
    print("# Wycheproof %s, %d tests (C2SP/wycheproof testvectors_v1/ed25519_test.json)"
          % (doc["algorithm"], doc["numberOfTests"]))
    for group in doc["testGroups"]:
        pk = group["publicKey"]["pk"]
        for t in group["tests"]:
            print("%d %s %s %s %s" % (t["tcId"], t["result"], pk, t["msg"] or "-",
                                      t["sig"] or "-"))


if __name__ == "__main__":
    main()

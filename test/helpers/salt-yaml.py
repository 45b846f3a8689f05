#!/usr/bin/python3
"""The reference for "read as Salt does": Debian's python3-yaml (PyYAML, YAML 1.1).

SafeLoader, with what Salt's own loader (salt/utils/yamlloader.py, SaltYamlSafeLoader) changes:
- a mapping key given twice is an error ("found conflicting ID");
- timestamps are constructed as plain strings;
- an explicit key overrides the same key brought in by a merge (<<), without a conflict;
  keys brought in by several merges may still conflict.

Input on stdin: a JSON list of base64 documents (the file's bytes, decoded as UTF-8 first, as
Salt's renderer pipeline does). Output: a JSON list, one {"ok": true, "data": CANON} or
{"ok": false, "error": "..."} per document. CANON is the form src/pillar-writer/yaml-salt.ts
builds: maps are sorted [key, value] lists, scalars carry their type.
"""
import base64
import json
import math
import sys

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, SequenceNode


class SaltLikeLoader(yaml.SafeLoader):
    def flatten_mapping(self, node):
        merge = []
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag == "tag:yaml.org,2002:merge":
                del node.value[index]
                if isinstance(value_node, MappingNode):
                    self.flatten_mapping(value_node)
                    merge.extend(value_node.value)
                elif isinstance(value_node, SequenceNode):
                    submerge = []
                    for subnode in value_node.value:
                        if not isinstance(subnode, MappingNode):
                            raise ConstructorError("while constructing a mapping", node.start_mark,
                                                   "expected a mapping for merging, but found %s" % subnode.id,
                                                   subnode.start_mark)
                        self.flatten_mapping(subnode)
                        submerge.append(subnode.value)
                    submerge.reverse()
                    for value in submerge:
                        merge.extend(value)
                else:
                    raise ConstructorError("while constructing a mapping", node.start_mark,
                                           "expected a mapping or list of mappings for merging, but found %s"
                                           % value_node.id, value_node.start_mark)
            elif key_node.tag == "tag:yaml.org,2002:value":
                key_node.tag = "tag:yaml.org,2002:str"
                index += 1
            else:
                index += 1
        if merge:
            existing = [k.value for k, _ in node.value]
            node.value = [x for x in merge if x[0].value not in existing] + node.value

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, "expected a mapping node, but found %s" % node.id, node.start_mark)
        self.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "found unacceptable key", key_node.start_mark)
            value = self.construct_object(value_node, deep=deep)
            if key in mapping:
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "found conflicting ID '%s'" % key, key_node.start_mark)
            mapping[key] = value
        return mapping


SaltLikeLoader.add_constructor("tag:yaml.org,2002:map", SaltLikeLoader.construct_yaml_map)
SaltLikeLoader.add_constructor("tag:yaml.org,2002:timestamp", SaltLikeLoader.construct_scalar)


def canon(v):
    if v is None:
        return ["null"]
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["num", str(v)]
    if isinstance(v, float):
        if math.isnan(v):
            return ["num", "nan"]
        if math.isinf(v):
            return ["num", "inf" if v > 0 else "-inf"]
        return ["num", repr(v)]
    if isinstance(v, str):
        return ["str", v]
    if isinstance(v, bytes):
        return ["bytes", base64.b64encode(v).decode()]
    if isinstance(v, (list, tuple)):
        return ["seq", [canon(x) for x in v]]
    if isinstance(v, dict):
        pairs = [[canon(k), canon(x)] for k, x in v.items()]
        pairs.sort(key=lambda p: json.dumps(p[0], separators=(",", ":"), ensure_ascii=False))
        return ["map", pairs]
    if isinstance(v, set):
        return canon({x: None for x in v})
    return ["other", type(v).__name__, str(v)]


def main():
    docs = json.load(sys.stdin)
    out = []
    for b64 in docs:
        try:
            text = base64.b64decode(b64).decode("utf-8")
            data = yaml.load(text, Loader=SaltLikeLoader)
            out.append({"ok": True, "data": canon(data)})
        except Exception as e:  # noqa: BLE001 - every failure is a refusal to compare
            out.append({"ok": False, "error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

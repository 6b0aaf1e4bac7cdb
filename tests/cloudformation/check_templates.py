#!/usr/bin/python3
"""Offline check of Sigrun's CloudFormation templates.

No AWS account is reachable from the test machines, so the templates are
checked against the CloudFormation resource specification that the AWS CDK
ships as the npm package @aws-cdk/aws-service-spec (db.json.gz: resources
with their properties and attributes, and the property types they use), and
against Sigrun's own rules for what may be public and what may bill.

    check_templates.py [--spec db.json.gz] TEMPLATE...

Prints one `file:path: message` line per problem, all of them at once, and
exits 1 if there was any (2 if the specification cannot be read).

The spec (schema.resource and schema.typeDefinition in db.json.gz): a
resource has `cloudFormationType`, `properties` and `attributes`; each
property has `type` (`string`, `integer`, `number`, `boolean`, `json`,
`date-time`, `tag`, `array`/`map` with `element`, `ref` to a type definition
by `$id`, or `union` of `types`), maybe `required` and `previousTypes` (types
CloudFormation still accepts).
"""
import argparse
import gzip
import json
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_SPEC = HERE / "node_modules" / "@aws-cdk" / "aws-service-spec" / "db.json.gz"

PSEUDO_PARAMETERS = {
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
    "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}
TOP_LEVEL_KEYS = {
    "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules",
    "Mappings", "Conditions", "Transform", "Resources", "Outputs",
}
RESOURCE_KEYS = {
    "Type", "Properties", "DependsOn", "Condition", "Metadata", "DeletionPolicy",
    "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy",
}
PARAMETER_KEYS = {
    "Type", "Default", "Description", "NoEcho", "AllowedValues", "AllowedPattern",
    "MinLength", "MaxLength", "MinValue", "MaxValue", "ConstraintDescription",
}
OUTPUT_KEYS = {"Description", "Value", "Export", "Condition"}
PARAMETER_TYPE = re.compile(
    r"^(String|Number|List<Number>|CommaDelimitedList"
    r"|AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+|List<AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+>"
    r"|AWS::SSM::Parameter::(Name|Value<[A-Za-z0-9:<>]+>))$")
CONDITION_FUNCTIONS = {"Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition"}
KNOWN_FUNCTIONS = CONDITION_FUNCTIONS | {
    "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::FindInMap", "Fn::Select",
    "Fn::Split", "Fn::Base64", "Fn::GetAZs", "Fn::ImportValue", "Fn::Cidr", "Fn::Length",
    "Fn::ToJsonString", "Fn::Transform",
}

# Sigrun's rules: what a world may expose, what may not exist because it
# bills while the world is stopped or opens another way in.
GAME_PORTS = (2456, 2457)
DEFAULT_WORLD_TAG = "sigrun:world"
FORBIDDEN_TYPES = {
    "AWS::EC2::EIP": "an Elastic IP bills while the world is stopped",
    "AWS::EC2::NatGateway": "a NAT gateway bills by the hour",
    "AWS::ElasticLoadBalancing::LoadBalancer": "a load balancer bills by the hour",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "a load balancer bills by the hour",
    "AWS::SecretsManager::Secret": "a Secrets Manager secret bills every month",
    "AWS::EC2::SecurityGroupIngress": "ingress must be inline in the security group, where it is checked",
    "AWS::ApiGateway::RestApi": "the function URL is the only public entry",
    "AWS::ApiGatewayV2::Api": "the function URL is the only public entry",
    "AWS::CloudFront::Distribution": "the function URL is the only public entry",
}
START_STOP = {"ec2:startinstances", "ec2:stopinstances"}


class Fn:
    """An intrinsic function: name is `Ref`, `Condition` or `Fn::Xxx`."""

    def __init__(self, name, arg):
        self.name = name
        self.arg = arg

    def __repr__(self):
        return f"{{{self.name}: {self.arg!r}}}"


class TemplateLoader(yaml.SafeLoader):
    pass


def _short_tag(name):
    fn = "Ref" if name == "Ref" else "Condition" if name == "Condition" else "Fn::" + name

    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if fn == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return Fn(fn, value)
    return construct


for _tag in ("Ref", "GetAtt", "Sub", "Join", "If", "Equals", "Not", "And", "Or",
             "FindInMap", "Select", "Split", "Base64", "GetAZs", "ImportValue",
             "Condition", "Cidr", "Length", "ToJsonString", "Transform"):
    TemplateLoader.add_constructor("!" + _tag, _short_tag(_tag))


def _mapping(loader, node):
    """Long-form intrinsics ({"Ref": x}, {"Fn::Sub": ...}) become Fn too."""
    value = loader.construct_mapping(node, deep=True)
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
            if key == "Fn::GetAtt" and isinstance(arg, str):
                arg = arg.split(".", 1)
            return Fn(key, arg)
    return value


TemplateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class Spec:
    def __init__(self, path):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            schema = json.load(f)["schema"]
        self.resources = {r["cloudFormationType"]: r for r in schema["resource"]["entities"]}
        self.types = {t["$id"]: t for t in schema["typeDefinition"]["entities"]}


def sub_references(text):
    """The names a Fn::Sub string refers to (${X}, ${X.Y}); ${!X} is literal."""
    return [m.group(1) for m in re.finditer(r"\$\{([^!}][^}]*)\}", text)]


def render_sub(text, params):
    """A Fn::Sub string with parameters at their defaults (or a placeholder)
    and attributes/pseudo parameters as placeholders, for policy checks."""
    def one(m):
        name = m.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        p = params.get(name)
        if isinstance(p, dict) and "Default" in p:
            return str(p["Default"])
        return "PLACEHOLDER-" + re.sub(r"[^A-Za-z0-9]", "-", name)
    return re.sub(r"\$\{([^}]*)\}", one, text)


class Checker:
    def __init__(self, spec, filename):
        self.spec = spec
        self.file = filename
        self.problems = []
        self.used_parameters = set()
        self.used_conditions = set()

    def error(self, path, message):
        self.problems.append(f"{self.file}:{'/'.join(str(p) for p in path)}: {message}")

    # --- the template's own structure -------------------------------------

    def check(self, template):
        if not isinstance(template, dict):
            self.error([], "not a YAML mapping")
            return
        for key in template:
            if key not in TOP_LEVEL_KEYS:
                self.error([key], "unknown top-level section")
        self.params = template.get("Parameters") or {}
        self.mappings = template.get("Mappings") or {}
        self.conditions = template.get("Conditions") or {}
        self.resources = template.get("Resources") or {}
        if not self.resources:
            self.error(["Resources"], "a template needs at least one resource")

        self.check_parameters()
        for name, cond in self.conditions.items():
            self.check_condition(cond, ["Conditions", name])
        for name, res in self.resources.items():
            self.check_resource(name, res)
        for name, out in (template.get("Outputs") or {}).items():
            self.check_output(name, out)
        for name in self.params:
            if name not in self.used_parameters:
                self.error(["Parameters", name], "declared but never used")
        for name in self.conditions:
            if name not in self.used_conditions:
                self.error(["Conditions", name], "defined but never used")
        self.check_policies()
        self.check_security_groups()

    def check_parameters(self):
        for name, p in self.params.items():
            path = ["Parameters", name]
            if not isinstance(p, dict):
                self.error(path, "must be a mapping")
                continue
            for key in p:
                if key not in PARAMETER_KEYS:
                    self.error(path + [key], "unknown parameter attribute")
            ptype = p.get("Type")
            if not isinstance(ptype, str) or not PARAMETER_TYPE.match(ptype):
                self.error(path + ["Type"], f"invalid parameter type {ptype!r}")
            if "Default" in p and ptype in ("String", "Number"):
                default = str(p["Default"])
                if "AllowedValues" in p and default not in [str(v) for v in p["AllowedValues"]]:
                    self.error(path + ["Default"], f"{default!r} is not among AllowedValues")
                pattern = p.get("AllowedPattern")
                if pattern and not re.fullmatch(pattern, default):
                    self.error(path + ["Default"], f"{default!r} does not match AllowedPattern")

    def check_output(self, name, out):
        path = ["Outputs", name]
        if not isinstance(out, dict) or "Value" not in out:
            self.error(path, "an output needs a Value")
            return
        for key in out:
            if key not in OUTPUT_KEYS:
                self.error(path + [key], "unknown output attribute")
        if "Condition" in out:
            self.check_condition_name(out["Condition"], path + ["Condition"])
        self.check_intrinsics(out["Value"], path + ["Value"])
        if "Export" in out:
            self.check_intrinsics(out["Export"], path + ["Export"])

    # --- references -------------------------------------------------------

    def check_condition_name(self, name, path):
        if not isinstance(name, str) or name not in self.conditions:
            self.error(path, f"condition {name!r} is not defined")
        else:
            self.used_conditions.add(name)

    def check_ref(self, name, path, in_condition=False):
        if not isinstance(name, str):
            self.error(path, "Ref takes a name")
        elif name in self.params:
            self.used_parameters.add(name)
        elif name in PSEUDO_PARAMETERS:
            pass
        elif name in self.resources:
            if in_condition:
                self.error(path, f"a condition cannot refer to resource {name!r}")
        else:
            self.error(path, f"Ref to undeclared parameter or resource {name!r}")

    def check_getatt(self, arg, path):
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
            self.error(path, "Fn::GetAtt takes [resource, attribute]")
            return
        resource, attribute = arg
        res = self.resources.get(resource)
        if not isinstance(res, dict):
            self.error(path, f"Fn::GetAtt of undeclared resource {resource!r}")
            return
        rtype = res.get("Type", "")
        if isinstance(attribute, Fn):
            self.check_intrinsics(attribute, path)
            return
        spec = self.spec.resources.get(rtype)
        if spec is None or rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
            return
        if attribute not in spec["attributes"]:
            known = ", ".join(sorted(spec["attributes"])) or "none"
            self.error(path, f"{rtype} has no attribute {attribute!r} (it has: {known})")

    def check_sub(self, arg, path):
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, variables = arg
            for key, value in variables.items():
                self.check_intrinsics(value, path + [key])
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            self.error(path, "Fn::Sub takes a string or [string, {variables}]")
            return
        for ref in sub_references(text):
            ref = ref.strip()
            if ref in variables:
                continue
            if "." in ref and not ref.startswith("AWS::"):
                self.check_getatt(ref.split(".", 1), path + ["${" + ref + "}"])
            else:
                self.check_ref(ref, path + ["${" + ref + "}"])

    def check_intrinsics(self, value, path, in_condition=False):
        """Every reference inside value resolves."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.check_intrinsics(item, path + [key], in_condition)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.check_intrinsics(item, path + [i], in_condition)
        elif isinstance(value, Fn):
            p = path + [value.name]
            arg = value.arg
            if value.name not in KNOWN_FUNCTIONS:
                self.error(p, f"unknown intrinsic function {value.name!r}")
                self.check_intrinsics(arg, p, in_condition)
            elif value.name == "Ref":
                self.check_ref(arg, p, in_condition)
            elif value.name == "Fn::GetAtt":
                self.check_getatt(arg, p)
            elif value.name == "Fn::Sub":
                self.check_sub(arg, p)
            elif value.name == "Condition":
                self.check_condition_name(arg, p)
            elif value.name == "Fn::If":
                if not (isinstance(arg, list) and len(arg) == 3):
                    self.error(p, "Fn::If takes [condition, then, else]")
                    return
                self.check_condition_name(arg[0], p + [0])
                self.check_intrinsics(arg[1:], p, in_condition)
            elif value.name == "Fn::FindInMap":
                if not (isinstance(arg, list) and len(arg) in (3, 4)):
                    self.error(p, "Fn::FindInMap takes [map, key, key]")
                    return
                if isinstance(arg[0], str) and arg[0] not in self.mappings:
                    self.error(p, f"mapping {arg[0]!r} is not defined")
                self.check_intrinsics(arg[1:], p, in_condition)
            elif value.name in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
                if not in_condition:
                    self.error(p, f"{value.name} belongs in Conditions or an Fn::If condition")
                self.check_condition(value, path)
            else:
                self.check_intrinsics(arg, p, in_condition)

    def check_condition(self, cond, path):
        if not isinstance(cond, Fn) or cond.name not in CONDITION_FUNCTIONS:
            self.error(path, "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition")
            return
        p = path + [cond.name]
        if cond.name == "Condition":
            self.check_condition_name(cond.arg, p)
        elif cond.name == "Fn::Equals":
            if not (isinstance(cond.arg, list) and len(cond.arg) == 2):
                self.error(p, "Fn::Equals takes two values")
            else:
                self.check_intrinsics(cond.arg, p, in_condition=True)
        else:
            args = cond.arg if isinstance(cond.arg, list) else [None]
            if cond.name == "Fn::Not" and len(args) != 1:
                self.error(p, "Fn::Not takes one condition")
            for i, sub in enumerate(args):
                self.check_condition(sub, p + [i])

    # --- resources against the specification ------------------------------

    def check_resource(self, name, res):
        path = ["Resources", name]
        if not isinstance(res, dict):
            self.error(path, "must be a mapping")
            return
        for key in res:
            if key not in RESOURCE_KEYS:
                self.error(path + [key], "unknown resource attribute")
        rtype = res.get("Type")
        if "Condition" in res:
            self.check_condition_name(res["Condition"], path + ["Condition"])
        depends = res.get("DependsOn", [])
        for dep in depends if isinstance(depends, list) else [depends]:
            if dep not in self.resources:
                self.error(path + ["DependsOn"], f"depends on undeclared resource {dep!r}")
        props = res.get("Properties", {})
        if rtype in FORBIDDEN_TYPES:
            self.error(path + ["Type"], f"{rtype}: {FORBIDDEN_TYPES[rtype]}")
        if isinstance(rtype, str) and (rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource"):
            self.check_intrinsics(props, path + ["Properties"])
            return
        spec = self.spec.resources.get(rtype)
        if spec is None:
            self.error(path + ["Type"], f"unknown resource type {rtype!r}")
            self.check_intrinsics(props, path + ["Properties"])
            return
        if not isinstance(props, dict):
            self.error(path + ["Properties"], "must be a mapping")
            return
        self.check_properties(props, spec["properties"], path + ["Properties"], rtype)

    def check_properties(self, props, spec_props, path, owner):
        for key, value in props.items():
            if key not in spec_props:
                self.error(path + [key], f"{owner} has no property {key!r}")
                self.check_intrinsics(value, path + [key])
                continue
            self.check_value(value, spec_props[key], path + [key])
        for key, prop in spec_props.items():
            if prop.get("required") and key not in props:
                self.error(path, f"{owner}: required property {key!r} is missing")

    def check_value(self, value, prop, path):
        alternatives = [prop["type"]] + prop.get("previousTypes", [])
        best = None
        for t in alternatives:
            errors = self.try_type(value, t, path)
            if not errors:
                return
            if best is None or len(errors) < len(best):
                best = errors
        self.problems.extend(best)

    def try_type(self, value, t, path):
        """The problems of value as type t, without recording them."""
        saved, self.problems = self.problems, []
        self.match_type(value, t, path)
        errors, self.problems = self.problems, saved
        return errors

    def value_kind(self, fn):
        """What an intrinsic yields: 'scalar', 'list', 'any' or 'novalue'."""
        if fn.name == "Ref":
            if fn.arg == "AWS::NoValue":
                return "novalue"
            if fn.arg == "AWS::NotificationARNs":
                return "list"
            p = self.params.get(fn.arg)
            if isinstance(p, dict):
                ptype = str(p.get("Type", ""))
                return "list" if ptype.startswith("List<") or ptype == "CommaDelimitedList" \
                    or ptype.startswith("AWS::SSM::Parameter::Value<List<") else "scalar"
            return "scalar"
        if fn.name in ("Fn::Split", "Fn::GetAZs", "Fn::Cidr"):
            return "list"
        if fn.name in ("Fn::Sub", "Fn::Join", "Fn::Base64", "Fn::ImportValue", "Fn::Length"):
            return "scalar"
        if fn.name == "Fn::GetAtt" and isinstance(fn.arg, list) and len(fn.arg) == 2:
            res = self.resources.get(fn.arg[0])
            spec = self.spec.resources.get(res.get("Type")) if isinstance(res, dict) else None
            attr = spec["attributes"].get(fn.arg[1]) if spec else None
            if attr:
                return "list" if attr["type"]["type"] == "array" else "scalar"
        return "any"

    def match_type(self, value, t, path):
        kind = t["type"]
        if isinstance(value, Fn):
            self.check_intrinsics(value, path)
            if value.name == "Fn::If" and isinstance(value.arg, list) and len(value.arg) == 3:
                for branch in value.arg[1:]:
                    if not (isinstance(branch, Fn) and branch.name == "Ref" and branch.arg == "AWS::NoValue"):
                        self.match_type(branch, t, path + ["Fn::If"])
                return
            yields = self.value_kind(value)
            if kind == "array" and yields == "scalar":
                self.error(path, f"{value.name} gives a single value where a list is expected")
            elif kind in ("string", "integer", "number", "boolean", "date-time") and yields == "list":
                self.error(path, f"{value.name} gives a list where one {kind} is expected")
            elif kind in ("ref", "tag", "map") and yields in ("scalar", "list") and value.name != "Fn::GetAtt":
                self.error(path, f"{value.name} gives a {yields} where an object is expected")
            return
        if kind == "string" or kind == "date-time":
            if not isinstance(value, (str, int, float, bool)):
                self.error(path, f"expected a string, got {type(value).__name__}")
            elif "allowedValues" in t and isinstance(value, str) and value not in t["allowedValues"]:
                self.error(path, f"{value!r} is not one of {', '.join(t['allowedValues'])}")
        elif kind in ("integer", "number"):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if isinstance(value, str):
                ok = re.fullmatch(r"-?[0-9]+" if kind == "integer" else r"-?[0-9]+(\.[0-9]+)?", value) is not None
            if kind == "integer" and isinstance(value, float):
                ok = False
            if not ok:
                self.error(path, f"expected {'an integer' if kind == 'integer' else 'a number'}, got {value!r}")
        elif kind == "boolean":
            if not (isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))):
                self.error(path, f"expected a boolean, got {value!r}")
        elif kind == "json":
            if not isinstance(value, (dict, list, str)):
                self.error(path, f"expected a JSON object, got {type(value).__name__}")
            self.check_intrinsics(value, path)
        elif kind == "array":
            if not isinstance(value, list):
                self.error(path, f"expected a list, got {type(value).__name__}")
                return
            for i, item in enumerate(value):
                self.match_type(item, t["element"], path + [i])
        elif kind == "map":
            if not isinstance(value, dict):
                self.error(path, f"expected a map, got {type(value).__name__}")
                return
            for key, item in value.items():
                self.match_type(item, t["element"], path + [key])
        elif kind == "tag":
            if not isinstance(value, dict) or set(value) != {"Key", "Value"}:
                self.error(path, "a tag is exactly {Key, Value}")
                return
            for key in ("Key", "Value"):
                self.match_type(value[key], {"type": "string"}, path + [key])
        elif kind == "ref":
            tdef = self.spec.types[t["reference"]["$ref"]]
            if not isinstance(value, dict):
                self.error(path, f"expected a {tdef['name']} object, got {type(value).__name__}")
                return
            self.check_properties(value, tdef["properties"], path, tdef["name"])
        elif kind == "union":
            best = None
            for alt in t["types"]:
                errors = self.try_type(value, alt, path)
                if not errors:
                    return
                if best is None or len(errors) < len(best):
                    best = errors
            self.problems.extend(best)
        else:
            self.check_intrinsics(value, path)

    # --- Sigrun's policy rules --------------------------------------------

    def world_tag_key(self):
        p = self.params.get("WorldTagKey")
        if isinstance(p, dict) and "Default" in p:
            return str(p["Default"])
        return DEFAULT_WORLD_TAG

    def policy_documents(self, value, path):
        """Every IAM policy document under value, as plain data."""
        if isinstance(value, Fn) and value.name == "Fn::Sub" and path and str(path[-1]).endswith("PolicyDocument"):
            text = value.arg[0] if isinstance(value.arg, list) else value.arg
            try:
                yield json.loads(render_sub(text, self.params)), path
            except (ValueError, TypeError) as e:
                self.error(path, f"policy document is not valid JSON: {e}")
        elif isinstance(value, Fn):
            yield from self.policy_documents(value.arg, path + [value.name])
        elif isinstance(value, dict):
            if "Statement" in value:
                yield value, path
                return
            for key, item in value.items():
                yield from self.policy_documents(item, path + [key])
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from self.policy_documents(item, path + [i])

    def check_policies(self):
        tag = self.world_tag_key()
        for name, res in self.resources.items():
            if not isinstance(res, dict):
                continue
            props = res.get("Properties") or {}
            path = ["Resources", name, "Properties"]
            if res.get("Type") == "AWS::Lambda::Permission":
                self.check_lambda_permission(props, path)
            for doc, dpath in self.policy_documents(props, path):
                statements = doc.get("Statement") if isinstance(doc, dict) else None
                if isinstance(statements, dict):
                    statements = [statements]
                for i, st in enumerate(statements or []):
                    self.check_statement(st, dpath + ["Statement", i], tag)

    def check_statement(self, st, path, tag):
        if not isinstance(st, dict):
            self.error(path, "a statement must be a mapping")
            return
        if "NotAction" in st:
            self.error(path + ["NotAction"], "NotAction grants everything else: name the actions")
        actions = st.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        for action in actions:
            if isinstance(action, str) and "*" in action:
                self.error(path + ["Action"], f"wildcard action {action!r}: name each action")
        if st.get("Effect") != "Allow":
            return
        if any(isinstance(a, str) and a.lower() in START_STOP for a in actions):
            if not self.tag_conditioned(st.get("Condition"), tag):
                self.error(path + ["Condition"],
                           f"ec2:StartInstances/StopInstances must be conditioned on aws:ResourceTag/{tag}")

    @staticmethod
    def tag_conditioned(condition, tag):
        if not isinstance(condition, dict):
            return False
        keys = {f"aws:ResourceTag/{tag}".lower(), f"ec2:ResourceTag/{tag}".lower()}
        for operator, tests in condition.items():
            if not isinstance(tests, dict):
                continue
            for key, value in tests.items():
                if not isinstance(key, str) or key.lower() not in keys:
                    continue
                if operator == "Null":
                    if str(value).lower() == "false":
                        return True
                elif operator in ("StringEquals", "StringLike"):
                    return True
        return False

    def check_lambda_permission(self, props, path):
        action = props.get("Action")
        if isinstance(action, str) and "*" in action:
            self.error(path + ["Action"], f"wildcard action {action!r}")
        if props.get("Principal") == "*":
            via_url = props.get("FunctionUrlAuthType") == "NONE" and action == "lambda:InvokeFunctionUrl"
            via_url = via_url or (action == "lambda:InvokeFunction" and props.get("InvokedViaFunctionUrl") in (True, "true"))
            if not via_url:
                self.error(path + ["Principal"], "a public invoke permission is allowed only through the function URL")

    def check_security_groups(self):
        """Ingress is exactly the game's UDP ports and the agent's TCP port."""
        agent_port = self.params.get("AgentPort", {}).get("Default", 8456) \
            if isinstance(self.params.get("AgentPort"), dict) else 8456

        def port(v):
            if isinstance(v, Fn) and v.name == "Ref" and v.arg == "AgentPort":
                return agent_port
            return v if isinstance(v, int) else int(v) if isinstance(v, str) and v.isdigit() else None

        for name, res in self.resources.items():
            if not isinstance(res, dict) or res.get("Type") != "AWS::EC2::SecurityGroup":
                continue
            path = ["Resources", name, "Properties", "SecurityGroupIngress"]
            rules = (res.get("Properties") or {}).get("SecurityGroupIngress") or []
            seen = set()
            for i, rule in enumerate(rules if isinstance(rules, list) else []):
                if not isinstance(rule, dict):
                    self.error(path + [i], "cannot check an ingress rule that is not a mapping")
                    continue
                proto = str(rule.get("IpProtocol", "")).lower()
                span = (port(rule.get("FromPort")), port(rule.get("ToPort")))
                if proto == "udp" and span == GAME_PORTS:
                    seen.add("game")
                elif proto == "tcp" and span == (agent_port, agent_port):
                    seen.add("agent")
                else:
                    self.error(path + [i], f"opens {proto} {span[0]}-{span[1]}: only UDP "
                               f"{GAME_PORTS[0]}-{GAME_PORTS[1]} and the agent's TCP port may be public")
            for need in ("game", "agent"):
                if need not in seen:
                    self.error(path, f"the {need} port is not open")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default=DEFAULT_SPEC, type=pathlib.Path,
                    help="db.json.gz of @aws-cdk/aws-service-spec (default: %(default)s)")
    ap.add_argument("templates", nargs="+", type=pathlib.Path)
    args = ap.parse_args(argv)
    try:
        spec = Spec(args.spec)
    except (OSError, ValueError, KeyError) as e:
        print(f"{args.spec}: cannot read the resource specification ({e}); "
              "run tests/cloudformation/install.sh", file=sys.stderr)
        return 2
    problems = []
    for path in args.templates:
        checker = Checker(spec, str(path))
        try:
            template = yaml.load(path.read_text(encoding="utf-8"), Loader=TemplateLoader)
        except (OSError, yaml.YAMLError) as e:
            problems.append(f"{path}:: cannot read: {e}".replace("\n", " "))
            continue
        checker.check(template)
        problems += checker.problems
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

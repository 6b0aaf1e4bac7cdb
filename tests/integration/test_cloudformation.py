"""The CloudFormation stacks and deploy.sh, checked offline.

No AWS account is reachable here, so:
* tests/cloudformation/check_templates.py checks both templates against the
  resource specification from @aws-cdk/aws-service-spec (npm, installed by
  tests/cloudformation/install.sh) and Sigrun's policy rules; broken copies of
  the real templates prove each kind of mistake is reported;
* shellcheck reads deploy.sh and the user data script taken from the world
  template;
* deploy.sh --dry-run prints the commands it would run, and a run against a
  fake `aws` and a fake `make` on PATH shows it runs those same commands.
"""
import os
import pathlib
import re
import shlex
import shutil
import stat
import subprocess
import sys
import time

import pytest
import yaml

from conftest import BUILD, SRCDIR

CFN = SRCDIR / "cloudformation"
BOT = CFN / "sigrun-bot.yaml"
WORLD = CFN / "sigrun-world.yaml"
DEPLOY = CFN / "deploy.sh"
CHECKER = SRCDIR / "tests" / "cloudformation" / "check_templates.py"
SPEC = pathlib.Path(getattr(BUILD, "cfn_spec", "") or
                    SRCDIR / "tests" / "cloudformation" / "node_modules" / "@aws-cdk" / "aws-service-spec" / "db.json.gz")

sys.path.insert(0, str(CHECKER.parent))
import check_templates  # noqa: E402

PUBLIC_KEY = "ab" * 32
AGENT_KEY = "0123456789abcdef" * 4
PASSWORD = "hunter22"
WEBHOOK = "https://discord.com/api/webhooks/42/tok"


@pytest.fixture(scope="module", autouse=True)
def spec_installed():
    if not SPEC.exists():
        pytest.fail(f"{SPEC} is missing: run tests/cloudformation/install.sh")


def run_checker(*templates):
    return subprocess.run([sys.executable, str(CHECKER), "--spec", str(SPEC), *map(str, templates)],
                          capture_output=True, text=True, timeout=60)


def test_templates_pass_the_check_quickly():
    start = time.monotonic()
    r = run_checker(BOT, WORLD)
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""
    assert elapsed < 20


def load(path):
    return yaml.load(path.read_text(), Loader=check_templates.TemplateLoader)


def test_bot_template_is_what_the_issue_asks():
    t = load(BOT)
    fn = t["Resources"]["BotFunction"]["Properties"]
    assert fn["Runtime"] == "provided.al2023"
    assert fn["Architectures"] == ["x86_64"]
    assert fn["MemorySize"] == 128 and fn["Handler"] == "bootstrap"
    assert set(fn["Environment"]["Variables"]) == {
        "DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "SIGRUN_AGENT_KEY",
        "SIGRUN_AGENT_PORT", "SIGRUN_WORLD_TAG", "SIGRUN_OPERATOR_ROLES"}
    assert t["Parameters"]["AgentApiKey"]["NoEcho"] is True
    assert t["Resources"]["BotFunctionUrl"]["Properties"]["AuthType"] == "NONE"
    log = t["Resources"]["BotLogGroup"]["Properties"]
    assert log["LogGroupName"].arg == "/aws/lambda/${AWS::StackName}-bot"
    assert fn["FunctionName"].arg == "${AWS::StackName}-bot"
    assert "InteractionsEndpointUrl" in t["Outputs"]


def test_world_template_is_what_the_issue_asks():
    t = load(WORLD)
    res = t["Resources"]
    inst = res["WorldInstance"]["Properties"]
    assert inst["InstanceInitiatedShutdownBehavior"] == "stop"
    assert t["Parameters"]["ImageId"]["Default"] == "/aws/service/debian/release/12/latest/amd64"
    assert t["Parameters"]["InstanceType"]["Default"] == "t3.medium"
    assert inst["BlockDeviceMappings"][0]["Ebs"]["VolumeType"] == "gp3"
    tag = [t for t in inst["Tags"] if t["Key"] == "sigrun:world"]
    assert len(tag) == 1 and tag[0]["Value"].name == "Ref" and tag[0]["Value"].arg == "WorldName"
    lt = res["WorldLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert lt["MetadataOptions"]["HttpTokens"] == "required"
    spot = lt["InstanceMarketOptions"].arg[1]
    assert spot["SpotOptions"] == {"SpotInstanceType": "persistent", "InstanceInterruptionBehavior": "stop"}
    assert t["Parameters"]["UseSpot"]["Default"] == "false"
    types = {r["Type"] for r in res.values()}
    assert not types & {"AWS::EC2::EIP", "AWS::EC2::NatGateway", "AWS::SecretsManager::Secret"}


# Each broken copy: (template, text in it, replacement, path and message expected).
BROKEN = {
    "misspelled property": (BOT, "MemorySize: 128", "MemorySise: 128",
                            "Resources/BotFunction/Properties/MemorySise: AWS::Lambda::Function has no property 'MemorySise'"),
    "unknown resource type": (BOT, "Type: AWS::Lambda::Url", "Type: AWS::Lambda::FunctionUrl",
                              "Resources/BotFunctionUrl/Type: unknown resource type 'AWS::Lambda::FunctionUrl'"),
    "bad GetAtt": (BOT, "!GetAtt BotFunctionUrl.FunctionUrl", "!GetAtt BotFunctionUrl.Url",
                   "Outputs/InteractionsEndpointUrl/Value/Fn::GetAtt: AWS::Lambda::Url has no attribute 'Url'"),
    "bad GetAtt in Sub": (WORLD, "${WorldInstance.PublicIp}", "${WorldInstance.PublicIpv4}",
                          "Outputs/StatusUrl/Value/Fn::Sub/${WorldInstance.PublicIpv4}: AWS::EC2::Instance has no attribute"),
    "Ref to undeclared parameter": (BOT, "!Ref OperatorRoleIds", "!Ref OperatorRoles",
                                    "SIGRUN_OPERATOR_ROLES/Ref: Ref to undeclared parameter or resource 'OperatorRoles'"),
    "Sub of undeclared parameter": (WORLD, "/${AgentPackage}\"", "/${AgentDeb}\"",
                                    "UserData/Fn::Base64/Fn::Sub/${AgentDeb}: Ref to undeclared parameter or resource 'AgentDeb'"),
    "star action": (BOT, "- logs:PutLogEvents", "- \"*\"",
                    "Resources/BotRole/Properties/Policies/0/PolicyDocument/Statement/0/Action: wildcard action '*'"),
    "service wildcard in a JSON policy": (BOT, '"Action": "ec2:DescribeInstances"', '"Action": "ec2:Describe*"',
                                          "Policies/1/PolicyDocument/Statement/0/Action: wildcard action 'ec2:Describe*'"),
    "start/stop without the tag condition": (
        BOT, '"Condition": {"Null": {"aws:ResourceTag/${WorldTagKey}": "false"}}', '"Sid": "x"',
        "Statement/1/Condition: ec2:StartInstances/StopInstances must be conditioned on aws:ResourceTag/sigrun:world"),
    "stop-self without the tag condition": (
        WORLD, '            Condition:\n              StringEquals:\n                "aws:ResourceTag/sigrun:world": !Ref WorldName\n', "",
        "Resources/WorldStopSelfPolicy/Properties/PolicyDocument/Statement/0/Condition: ec2:StartInstances/StopInstances"),
    "ssh opened": (WORLD, "FromPort: 2456\n          ToPort: 2457\n          CidrIp: 0.0.0.0/0",
                   "FromPort: 22\n          ToPort: 22\n          CidrIp: 0.0.0.0/0",
                   "SecurityGroupIngress/0: opens udp 22-22: only UDP 2456-2457 and the agent's TCP port may be public"),
    "public invoke not via the URL": (BOT, "      InvokedViaFunctionUrl: true\n", "",
                                      "Resources/BotFunctionInvokePermission/Properties/Principal: a public invoke permission"),
    "missing required property": (WORLD, "      GroupDescription: !Sub", "      Description: !Sub",
                                  "Resources/WorldSecurityGroup/Properties: AWS::EC2::SecurityGroup: required property 'GroupDescription' is missing"),
    "scalar where a list goes": (BOT, "Architectures: [x86_64]", "Architectures: x86_64",
                                 "Resources/BotFunction/Properties/Architectures: expected a list, got str"),
    "list where a scalar goes": (BOT, "MemorySize: 128", "MemorySize: [128]",
                                 "Resources/BotFunction/Properties/MemorySize: expected an integer"),
    "nested property type": (WORLD, "HttpTokens: required", "HttpTokens: required\n          HttpToken: required",
                             "LaunchTemplateData/MetadataOptions/HttpToken: MetadataOptions has no property 'HttpToken'"),
    "undefined condition": (WORLD, "- SpotEnabled\n", "- SpotOn\n",
                            "InstanceMarketOptions/Fn::If/0: condition 'SpotOn' is not defined"),
    "unused parameter": (BOT, "Parameters:\n", "Parameters:\n  Stray:\n    Type: String\n",
                         "Parameters/Stray: declared but never used"),
    "unused condition": (WORLD, "Conditions:\n", "Conditions:\n  Stray: !Equals [!Ref UseSpot, \"x\"]\n",
                         "Conditions/Stray: defined but never used"),
    "unknown function": (WORLD, "Fn::Base64: !Sub", "Fn::Base46: !Sub",
                         "UserData/Fn::Base46: unknown intrinsic function 'Fn::Base46'"),
    "Elastic IP": (WORLD, "Outputs:\n", "  WorldAddress:\n    Type: AWS::EC2::EIP\n\nOutputs:\n",
                   "Resources/WorldAddress/Type: AWS::EC2::EIP: an Elastic IP bills while the world is stopped"),
}


@pytest.fixture(scope="module")
def spec():
    return check_templates.Spec(SPEC)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_template_is_reported(case, spec, tmp_path, capsys):
    template, old, new, expected = BROKEN[case]
    text = template.read_text()
    assert text.count(old) == 1, f"{case}: the template changed; update the mutation"
    broken = tmp_path / template.name
    broken.write_text(text.replace(old, new))
    # In-process (the specification is read once); the command line is the same code.
    checker = check_templates.Checker(spec, str(broken))
    checker.check(load(broken))
    assert any(line.startswith(f"{broken}:") and expected in line for line in checker.problems), checker.problems


def test_problems_exit_non_zero_as_file_path_message(tmp_path):
    broken = tmp_path / "bot.yaml"
    broken.write_text(BOT.read_text().replace("!Ref OperatorRoleIds", "!Ref Nope"))
    r = run_checker(broken, WORLD)
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        f"{broken}:Resources/BotFunction/Properties/Environment/Variables/SIGRUN_OPERATOR_ROLES/Ref: "
        "Ref to undeclared parameter or resource 'Nope'",
        f"{broken}:Parameters/OperatorRoleIds: declared but never used"]


# --- shellcheck -------------------------------------------------------------

def shellcheck(path):
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is missing: apt-get install shellcheck")
    r = subprocess.run(["shellcheck", "--shell=bash", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_shellcheck_deploy():
    shellcheck(DEPLOY)


def user_data_script():
    """The world's user data with every ${Param} replaced the way !Sub would,
    for Public=false and Crossplay=true."""
    t = load(WORLD)
    sub = t["Resources"]["WorldInstance"]["Properties"]["UserData"].arg
    assert sub.name == "Fn::Sub"
    text, variables = sub.arg
    conditions = {"PublicServer": False, "CrossplayServer": True}
    values = {"AWS::Region": "us-east-1", "Public": "false", "Crossplay": "true",
              "AgentPort": "8456", "HostedZoneId": "Z123", "RecordName": "v.example.org"}
    for name, fn in variables.items():
        assert fn.name == "Fn::If"
        cond, then, other = fn.arg
        values[name] = then if conditions[cond] else other

    def value(m):
        name = m.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        return values.get(name, "sample-" + name)
    return re.sub(r"\$\{([^}]*)\}", value, text)


def test_shellcheck_user_data(tmp_path):
    script = user_data_script()
    assert script.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in script
    (tmp_path / "user-data.sh").write_text(script)
    shellcheck(tmp_path / "user-data.sh")
    # The DNS updater it writes is a script of its own.
    dns = re.search(r"<<'DNS'\n(.*?\n)DNS\n", script, re.S).group(1)
    (tmp_path / "sigrun-dns-update").write_text(dns)
    shellcheck(tmp_path / "sigrun-dns-update")


def test_user_data_writes_the_agent_config():
    script = user_data_script()
    agent = yaml.safe_load(re.search(r"<<'AGENT'\n(.*?\n)AGENT\n", script, re.S).group(1))
    assert agent["world"]["name"] == "sample-WorldName"
    assert agent["game"] == {"crossplay": True, "public": False}
    assert agent["watchdog"] == {"idle_timeout": "sample-IdleTimeout", "action": "poweroff"}
    assert agent["discord"]["webhook"] == "sample-DiscordWebhookUrl"
    assert agent["api"]["key"] == "sample-AgentApiKey"
    env = re.search(r"<<'VALHEIM'\n(.*?\n)VALHEIM\n", script, re.S).group(1)
    assert dict(re.findall(r"^([A-Z_]+)=(.*)$", env, re.M)) == {
        "SERVER_NAME": '"sample-ServerName"', "WORLD_NAME": '"sample-WorldName"',
        "SERVER_PASSWORD": '"sample-ServerPassword"',
        # valheim-run wants 1/0
        "SERVER_PUBLIC": "0", "SERVER_CROSSPLAY": "1"}
    assert "apt-get install -y -q ./sigrun-agent_*.deb ./sigrun-valheim_*.deb" in script
    assert "systemctl enable valheim-server.service sigrun-agent.service" in script


# --- deploy.sh ------------------------------------------------------------------

BASE_ARGS = ["--world", "midgard", "--server-password", PASSWORD,
             "--discord-public-key", PUBLIC_KEY, "--discord-application-id", "1234",
             "--agent-key", AGENT_KEY, "--webhook", WEBHOOK, "--region", "eu-north-1"]


def deploy(args, tmp_path, path=None):
    env = {"HOME": str(tmp_path / "home"), "PATH": path or os.environ["PATH"], "LC_ALL": "C"}
    return subprocess.run(["bash", str(DEPLOY), *args], capture_output=True, text=True,
                          env=env, timeout=60, cwd=tmp_path)


def commands(stdout):
    return [shlex.split(line[2:]) for line in stdout.splitlines() if line.startswith("+ ")]


def overrides(argv):
    i = argv.index("--parameter-overrides")
    return dict(a.split("=", 1) for a in argv[i + 1:])


def template_parameters(path):
    return load(path)["Parameters"]


def check_stack_parameters(given, template):
    params = template_parameters(template)
    assert set(given) <= set(params), set(given) - set(params)
    required = {k for k, p in params.items() if "Default" not in p}
    assert required <= set(given), required - set(given)


def test_dry_run_prints_every_command_and_touches_nothing(tmp_path):
    r = deploy(["--dry-run", *BASE_ARGS, "--builddir", "/nonexistent/build"], tmp_path)
    assert r.returncode == 0, r.stderr
    cmds = commands(r.stdout)
    heads = [c[:3] for c in cmds]
    assert heads == [
        ["make", "-C", "/nonexistent/build"],
        ["make", "-C", "/nonexistent/build"],
        ["aws", "s3api", "head-bucket"],
        ["aws", "s3api", "create-bucket"],
        ["aws", "s3api", "put-public-access-block"],
        ["aws", "s3", "cp"],
        ["aws", "s3", "cp"],
        ["aws", "s3", "cp"],
        ["aws", "cloudformation", "deploy"],
        ["aws", "cloudformation", "deploy"],
        ["aws", "cloudformation", "describe-stacks"],
    ]
    assert [c[3] for c in cmds[:2]] == ["lambda-zip", "deb"]
    assert "LocationConstraint=eu-north-1" in cmds[3]
    bot, world = cmds[8], cmds[9]
    assert bot[bot.index("--stack-name") + 1] == "sigrun-bot"
    assert bot[bot.index("--template-file") + 1] == str(BOT)
    assert world[world.index("--stack-name") + 1] == "sigrun-midgard"
    assert world[world.index("--template-file") + 1] == str(WORLD)
    for c in (bot, world):
        assert "CAPABILITY_IAM" in c and "--no-fail-on-empty-changeset" in c
    check_stack_parameters(overrides(bot), BOT)
    check_stack_parameters(overrides(world), WORLD)
    assert overrides(world)["WorldName"] == "midgard"
    assert overrides(world)["ServerPassword"] == "HIDDEN"
    assert overrides(bot)["AgentApiKey"] == "HIDDEN"
    # Uploaded where the stacks look.
    code = "s3://{CodeBucket}/{CodeKey}".format(**overrides(bot))
    assert cmds[5][-1] == code
    w = overrides(world)
    assert cmds[6][-1] == "s3://{ArtifactBucket}/{ArtifactPrefix}/{AgentPackage}".format(**w)
    assert cmds[7][-1] == "s3://{ArtifactBucket}/{ArtifactPrefix}/{ValheimPackage}".format(**w)
    # Secrets never printed; next steps are.
    for secret in (PASSWORD, AGENT_KEY, WEBHOOK):
        assert secret not in r.stdout + r.stderr
    assert "sigrun register" in r.stdout and "Interactions Endpoint URL" in r.stdout
    assert not (tmp_path / "home").exists()


def test_dry_run_reads_an_env_file_and_flags_win(tmp_path):
    env_file = tmp_path / "sigrun.env"
    env_file.write_text(f"""# my world
WORLD_NAME=asgard
SERVER_PASSWORD="{PASSWORD}"
DISCORD_PUBLIC_KEY={PUBLIC_KEY}
DISCORD_APPLICATION_ID='99'
export AWS_REGION=us-east-1
USE_SPOT=true
SIGRUN_BUCKET=my-bucket
""")
    r = deploy(["--dry-run", "--env-file", str(env_file), "--world-stack", "w1"], tmp_path)
    assert r.returncode == 0, r.stderr
    cmds = commands(r.stdout)
    assert not any("create-bucket-configuration" in c for c in cmds)  # us-east-1 takes none
    world = overrides(cmds[-2])
    assert world["WorldName"] == "asgard" and world["UseSpot"] == "true"
    assert world["ArtifactBucket"] == "my-bucket"
    assert cmds[-2][cmds[-2].index("--stack-name") + 1] == "w1"
    assert overrides(cmds[-3])["DiscordApplicationId"] == "99"
    # No key given and none kept: a real run would make one; a dry run says so.
    assert "would make a new agent key" in r.stdout
    assert not (tmp_path / "home").exists()


def test_missing_settings_are_all_reported_before_anything_runs(tmp_path):
    r = deploy(["--dry-run", "--server-password", "abc"], tmp_path)
    assert r.returncode == 1
    assert commands(r.stdout) == []
    for what in ("Discord public key", "Discord application id", "world name", "server password needs"):
        assert what in r.stderr
    r = deploy(["--dry-run", "--no-such-flag", "x"], tmp_path)
    assert r.returncode == 1 and "unknown option --no-such-flag" in r.stderr
    bad = tmp_path / "bad.env"
    bad.write_text("WORLD_NAME=x\nFOO=1\n")
    r = deploy(["--dry-run", "--env-file", str(bad)], tmp_path)
    assert r.returncode == 1 and f"{bad}:2: unknown setting FOO" in r.stderr


def fake_bin(tmp_path, tools):
    """A PATH holding only the named real tools plus fakes (name -> script)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    for name, target in tools.items():
        p = bindir / name
        if p.is_symlink() or p.exists():
            p.unlink()
        if target.startswith("#!"):
            p.write_text(target)
            p.chmod(p.stat().st_mode | stat.S_IXUSR)
        else:
            real = shutil.which(target)
            assert real, target
            p.symlink_to(real)
    return str(bindir)


BASIC_TOOLS = ["bash", "dirname", "basename", "cat", "od", "tr", "mkdir", "find", "sort",
               "head", "cut", "sha256sum", "touch", "printf", "env"]


def test_missing_aws_cli_is_named(tmp_path):
    path = fake_bin(tmp_path, {t: t for t in BASIC_TOOLS + ["make"]})
    r = deploy(BASE_ARGS + ["--builddir", str(tmp_path)], tmp_path, path=path)
    assert r.returncode == 1
    assert "the aws command is missing" in r.stderr
    assert commands(r.stdout) == []


FAKE_AWS = """#!/bin/bash
{ printf aws; printf ' %q' "$@"; echo; } >> "$FAKE_LOG"
case "$1 $2" in
"sts get-caller-identity") [ -n "${FAKE_CREDENTIALS:-}" ] || { echo "Unable to locate credentials" >&2; exit 255; }; echo 123456789012 ;;
"s3api head-bucket") exit 254 ;;
"cloudformation describe-stacks") echo https://abc.lambda-url.eu-north-1.on.aws/ ;;
esac
exit 0
"""
FAKE_MAKE = """#!/bin/bash
{ printf make; printf ' %q' "$@"; echo; } >> "$FAKE_LOG"
case "$3" in
lambda-zip) echo zip > "$2/sigrun-lambda.zip" ;;
deb) mkdir -p "$2/deb" && touch "$2/deb/sigrun-agent_0.1-1_amd64.deb" "$2/deb/sigrun-valheim_0.1-1_all.deb" ;;
esac
"""


def deploy_with_fakes(tmp_path, credentials, extra=()):
    tools = {t: t for t in BASIC_TOOLS}
    tools.update(aws=FAKE_AWS.replace("$FAKE_LOG", str(tmp_path / "log")).replace(
        "${FAKE_CREDENTIALS:-}", "yes" if credentials else ""),
        make=FAKE_MAKE.replace("$FAKE_LOG", str(tmp_path / "log")))
    path = fake_bin(tmp_path, tools)
    build = tmp_path / "build"
    build.mkdir(exist_ok=True)
    (build / "Makefile").write_text("")
    return deploy([*BASE_ARGS, "--builddir", str(build), *extra], tmp_path, path=path)


def test_missing_credentials_stop_before_anything_runs(tmp_path):
    r = deploy_with_fakes(tmp_path, credentials=False)
    assert r.returncode == 1
    assert "no usable AWS credentials" in r.stderr
    log = (tmp_path / "log").read_text().splitlines()
    assert all(line.startswith(("aws sts ", "aws configure ")) for line in log), log


def test_deploy_runs_what_the_dry_run_prints(tmp_path):
    r = deploy_with_fakes(tmp_path, credentials=True, extra=["--agent-key", ""])
    assert r.returncode == 0, r.stderr
    log = (tmp_path / "log").read_text().splitlines()
    ran = [shlex.split(line) for line in log if not line.startswith("aws sts ")]
    printed = commands(r.stdout)
    key = (tmp_path / "home" / ".config" / "sigrun" / "agent-key").read_text().strip()

    def masked(argv):
        return [a.replace(PASSWORD, "HIDDEN").replace(key, "HIDDEN").replace(WEBHOOK, "HIDDEN") for a in argv]
    # The bucket was missing (the fake head-bucket fails), so every printed
    # command ran, in the printed order, and nothing else did.
    assert [masked(c) for c in ran] == printed
    assert [c[:4] for c in ran if c[0] == "make"] == [
        ["make", "-C", str(tmp_path / "build"), "lambda-zip"],
        ["make", "-C", str(tmp_path / "build"), "deb"]]
    ran_aws = [c for c in ran if c[0] == "aws"]
    assert [c[1:3] for c in ran_aws][:3] == [["s3api", "head-bucket"], ["s3api", "create-bucket"],
                                             ["s3api", "put-public-access-block"]]
    bot = overrides(ran_aws[-3])
    world = overrides(ran_aws[-2])
    assert bot["CodeKey"].startswith("sigrun/lambda/sigrun-lambda-") and bot["CodeBucket"] == \
        "sigrun-artifacts-123456789012-eu-north-1"
    assert world["AgentPackage"] == "sigrun-agent_0.1-1_amd64.deb"
    assert world["ValheimPackage"] == "sigrun-valheim_0.1-1_all.deb"
    assert world["ServerPassword"] == PASSWORD
    # The agent key was made once and kept, private, for the next deploy.
    key_file = tmp_path / "home" / ".config" / "sigrun" / "agent-key"
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert bot["AgentApiKey"] == key and world["AgentApiKey"] == key
    assert "https://abc.lambda-url.eu-north-1.on.aws/" in r.stdout
    # The next deploy (another world, say) uses the same key.
    (tmp_path / "log").unlink()
    r = deploy_with_fakes(tmp_path, credentials=True, extra=["--agent-key", "", "--world", "asgard"])
    assert r.returncode == 0, r.stderr
    again = [shlex.split(line) for line in (tmp_path / "log").read_text().splitlines()]
    assert overrides([c for c in again if c[1:3] == ["cloudformation", "deploy"]][-1])["AgentApiKey"] == key

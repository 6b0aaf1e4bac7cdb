#!/bin/bash
# Deploy Sigrun to AWS with one command: build the Lambda zip and the Debian
# packages, upload them to an artifact bucket (created if missing), deploy or
# update the bot stack and one world stack, print the Discord endpoint URL.
#
#   cloudformation/deploy.sh --env-file sigrun.env
#   cloudformation/deploy.sh --dry-run --world midgard --server-password ...
#
# Every setting comes from a flag or from an env file of KEY=VALUE lines (the
# file is parsed, not sourced; flags win). --dry-run prints each command that
# would run, one per line prefixed by "+ ", and touches nothing: no build, no
# AWS call, no credentials needed. Everything is checked before anything runs.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prog=deploy.sh

usage() {
        cat <<EOF
Usage: $prog [OPTIONS]

Build, upload and deploy the Sigrun bot stack and one world stack.

  --env-file FILE            read KEY=VALUE settings (names in brackets below)
  --region REGION            AWS region [AWS_REGION]; default: the aws CLI's
  --bucket NAME              artifact bucket [SIGRUN_BUCKET];
                             default: sigrun-artifacts-ACCOUNT-REGION
  --builddir DIR             configured build tree [SIGRUN_BUILDDIR]; default: build/
  --bot-stack NAME           bot stack name [SIGRUN_BOT_STACK]; default: sigrun-bot
  --world-stack NAME         world stack name [SIGRUN_WORLD_STACK]; default: sigrun-WORLD
  --discord-public-key HEX   [DISCORD_PUBLIC_KEY] (required)
  --discord-application-id ID [DISCORD_APPLICATION_ID] (required)
  --operator-roles IDS       comma-separated role ids [SIGRUN_OPERATOR_ROLES]
  --agent-key HEX            agent API key, 64 hex digits [SIGRUN_AGENT_KEY];
                             default: made once and kept in ~/.config/sigrun/agent-key
  --world NAME               world name [WORLD_NAME] (required)
  --server-name NAME         [SERVER_NAME]; default: Sigrun
  --server-password PW       [SERVER_PASSWORD] (required, 5+ characters)
  --public true|false        [SERVER_PUBLIC]; default: false
  --crossplay true|false     [SERVER_CROSSPLAY]; default: false
  --idle-timeout DURATION    [IDLE_TIMEOUT]; default: 15min
  --webhook URL              Discord webhook for notices [DISCORD_WEBHOOK]
  --instance-type TYPE       [INSTANCE_TYPE]; default: t3.medium
  --volume-size GIB          [VOLUME_SIZE]; default: 20
  --spot true|false          [USE_SPOT]; default: false
  --hosted-zone-id ID        Route53 zone for a DNS name [HOSTED_ZONE_ID]
  --record-name NAME         the DNS name [RECORD_NAME]
  --dry-run                  print the commands, run nothing
  -h, --help                 this text
EOF
}

die() {
        printf '%s: %s\n' "$prog" "$*" >&2
        exit 1
}

# Every setting, by its env-file name.
declare -A cfg=(
        [AWS_REGION]=""
        [SIGRUN_BUCKET]=""
        [SIGRUN_BUILDDIR]=""
        [SIGRUN_BOT_STACK]="sigrun-bot"
        [SIGRUN_WORLD_STACK]=""
        [DISCORD_PUBLIC_KEY]=""
        [DISCORD_APPLICATION_ID]=""
        [SIGRUN_OPERATOR_ROLES]=""
        [SIGRUN_AGENT_KEY]=""
        [WORLD_NAME]=""
        [SERVER_NAME]="Sigrun"
        [SERVER_PASSWORD]=""
        [SERVER_PUBLIC]="false"
        [SERVER_CROSSPLAY]="false"
        [IDLE_TIMEOUT]="15min"
        [DISCORD_WEBHOOK]=""
        [INSTANCE_TYPE]="t3.medium"
        [VOLUME_SIZE]="20"
        [USE_SPOT]="false"
        [HOSTED_ZONE_ID]=""
        [RECORD_NAME]=""
)

read_env_file() {
        local file=$1 line key value n=0
        [ -r "$file" ] || die "cannot read env file $file"
        while IFS= read -r line || [ -n "$line" ]; do
                n=$((n + 1))
                [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
                [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Z_][A-Z0-9_]*)=(.*)$ ]] ||
                        die "$file:$n: expected KEY=VALUE"
                key=${BASH_REMATCH[2]}
                value=${BASH_REMATCH[3]}
                if [[ $value =~ ^\"(.*)\"$ ]] || [[ $value =~ ^\'(.*)\'$ ]]; then
                        value=${BASH_REMATCH[1]}
                fi
                [ -n "${cfg[$key]+set}" ] || die "$file:$n: unknown setting $key"
                cfg[$key]=$value
        done <"$file"
}

dry_run=false
declare -A flags=()
flag_names=(
        region:AWS_REGION bucket:SIGRUN_BUCKET builddir:SIGRUN_BUILDDIR
        bot-stack:SIGRUN_BOT_STACK world-stack:SIGRUN_WORLD_STACK
        discord-public-key:DISCORD_PUBLIC_KEY discord-application-id:DISCORD_APPLICATION_ID
        operator-roles:SIGRUN_OPERATOR_ROLES agent-key:SIGRUN_AGENT_KEY world:WORLD_NAME
        server-name:SERVER_NAME server-password:SERVER_PASSWORD public:SERVER_PUBLIC
        crossplay:SERVER_CROSSPLAY idle-timeout:IDLE_TIMEOUT webhook:DISCORD_WEBHOOK
        instance-type:INSTANCE_TYPE volume-size:VOLUME_SIZE spot:USE_SPOT
        hosted-zone-id:HOSTED_ZONE_ID record-name:RECORD_NAME
)
flag_key() {
        local f
        for f in "${flag_names[@]}"; do
                [ "--${f%%:*}" = "$1" ] && { printf '%s\n' "${f#*:}"; return 0; }
        done
        return 1
}

env_file=""
while [ $# -gt 0 ]; do
        case $1 in
        -h | --help) usage; exit 0 ;;
        --dry-run) dry_run=true; shift; continue ;;
        --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
        esac
        [ $# -ge 2 ] || die "$1 needs a value (see --help)"
        if [ "$1" = --env-file ]; then
                env_file=$2
        else
                key=$(flag_key "$1") || die "unknown option $1 (see --help)"
                flags[$key]=$2
        fi
        shift 2
done
[ -z "$env_file" ] || read_env_file "$env_file"
for key in "${!flags[@]}"; do
        cfg[$key]=${flags[$key]}
done

# --- check everything before anything starts ---------------------------------

problems=()
need() { [ -n "${cfg[$1]}" ] || problems+=("$2 is required (--$3 or $1=)"); }
need DISCORD_PUBLIC_KEY "the Discord public key" discord-public-key
need DISCORD_APPLICATION_ID "the Discord application id" discord-application-id
need WORLD_NAME "the world name" world
need SERVER_PASSWORD "the server password" server-password
[[ -z ${cfg[DISCORD_PUBLIC_KEY]} || ${cfg[DISCORD_PUBLIC_KEY]} =~ ^[0-9a-fA-F]{64}$ ]] ||
        problems+=("the Discord public key must be 64 hex digits")
[[ -z ${cfg[WORLD_NAME]} || ${cfg[WORLD_NAME]} =~ ^[A-Za-z0-9_-]{1,64}$ ]] ||
        problems+=("the world name may hold only letters, digits, _ and - (at most 64)")
[[ -z ${cfg[SERVER_PASSWORD]} || ${cfg[SERVER_PASSWORD]} =~ ^[A-Za-z0-9._-]{5,64}$ ]] ||
        problems+=("the server password needs 5 to 64 letters, digits, '.', '_' or '-'")
[[ -z ${cfg[SIGRUN_AGENT_KEY]} || ${cfg[SIGRUN_AGENT_KEY]} =~ ^[0-9a-f]{64}$ ]] ||
        problems+=("the agent key must be 64 lowercase hex digits")
for key in SERVER_PUBLIC SERVER_CROSSPLAY USE_SPOT; do
        [[ ${cfg[$key]} =~ ^(true|false)$ ]] || problems+=("$key must be true or false")
done
if [ -n "${cfg[HOSTED_ZONE_ID]}" ] && [ -z "${cfg[RECORD_NAME]}" ]; then
        problems+=("a hosted zone needs a record name (--record-name)")
fi

tools=(make sha256sum)
$dry_run || tools+=(aws)
for tool in "${tools[@]}"; do
        command -v "$tool" >/dev/null 2>&1 ||
                problems+=("the $tool command is missing (Debian: apt-get install $([ "$tool" = aws ] && echo awscli || echo "$tool"))")
done

builddir=${cfg[SIGRUN_BUILDDIR]:-$top/build}
if ! $dry_run && [ ! -f "$builddir/Makefile" ]; then
        problems+=("$builddir is not a configured build tree: run ./bootstrap.sh or pass --builddir")
fi

region=${cfg[AWS_REGION]:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}
account=""
if ! $dry_run && [ ${#problems[@]} -eq 0 ]; then
        [ -n "$region" ] || region=$(aws configure get region 2>/dev/null || true)
        [ -n "$region" ] || problems+=("no AWS region: pass --region or set AWS_REGION")
        account=$(aws sts get-caller-identity --query Account --output text 2>/dev/null) ||
                problems+=("no usable AWS credentials: run 'aws configure' (or set AWS_PROFILE) and retry")
fi

if [ ${#problems[@]} -gt 0 ]; then
        printf '%s: %s\n' "$prog" "${problems[@]}" >&2
        exit 1
fi

# What a dry run cannot know, it names.
if $dry_run; then
        region=${region:-REGION}
        account=ACCOUNT
fi
bucket=${cfg[SIGRUN_BUCKET]:-sigrun-artifacts-$account-$region}
bot_stack=${cfg[SIGRUN_BOT_STACK]}
world=${cfg[WORLD_NAME]}
world_stack=${cfg[SIGRUN_WORLD_STACK]:-sigrun-$world}
prefix=sigrun/packages

# --- running, or printing, commands -------------------------------------------

# Values never printed in full (they would end up in CI logs and terminals).
secrets=("${cfg[SERVER_PASSWORD]}")

show() {
        local out="+" arg s
        for arg in "$@"; do
                for s in "${secrets[@]}"; do
                        [ -z "$s" ] || arg=${arg//"$s"/HIDDEN}
                done
                out+=" $(printf '%q' "$arg")"
        done
        printf '%s\n' "$out"
}

run() {
        show "$@"
        $dry_run || "$@"
}

say() {
        printf '==> %s\n' "$*" >&2
}

# --- the agent key: shared by the bot and every world, so kept ------------------

key_file=${XDG_CONFIG_HOME:-$HOME/.config}/sigrun/agent-key
agent_key=${cfg[SIGRUN_AGENT_KEY]}
if [ -z "$agent_key" ] && [ -s "$key_file" ]; then
        agent_key=$(cat "$key_file")
fi
if [ -z "$agent_key" ]; then
        if $dry_run; then
                echo "# would make a new agent key and keep it in $key_file"
                agent_key=GENERATED
        else
                agent_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
                mkdir -p "$(dirname "$key_file")"
                (umask 077 && printf '%s\n' "$agent_key" >"$key_file")
                say "made a new agent API key, kept in $key_file"
        fi
fi
secrets+=("$agent_key")
[ -z "${cfg[DISCORD_WEBHOOK]}" ] || secrets+=("${cfg[DISCORD_WEBHOOK]}")

# --- build ----------------------------------------------------------------------

say "building the Lambda zip and the packages"
run make -C "$builddir" lambda-zip
run make -C "$builddir" deb

# The build's outputs, newest first; a dry run names them.
find_one() {
        local found
        found=$(find "$builddir" -maxdepth 2 -name "$1" -printf '%T@ %p\n' 2>/dev/null |
                sort -rn | head -n 1 | cut -d' ' -f2-)
        [ -n "$found" ] || die "the build made no $1 (looked in $builddir and $builddir/*/)"
        printf '%s\n' "$found"
}
if $dry_run; then
        zip=$builddir/sigrun-lambda.zip
        zip_key=sigrun/lambda/sigrun-lambda-SHA256.zip
        agent_deb=$builddir/deb/sigrun-agent_VERSION_amd64.deb
        valheim_deb=$builddir/deb/sigrun-valheim_VERSION_all.deb
else
        zip=$(find_one sigrun-lambda.zip)
        agent_deb=$(find_one 'sigrun-agent_*_amd64.deb')
        valheim_deb=$(find_one 'sigrun-valheim_*.deb')
        # Named after its content, so that a new build changes the stack and
        # CloudFormation updates the function's code.
        zip_key=sigrun/lambda/sigrun-lambda-$(sha256sum "$zip" | cut -c1-16).zip
fi

# --- upload -----------------------------------------------------------------------

say "artifact bucket s3://$bucket"
show aws s3api head-bucket --bucket "$bucket" --region "$region"
if $dry_run || ! aws s3api head-bucket --bucket "$bucket" --region "$region" >/dev/null 2>&1; then
        $dry_run && echo "# only if the bucket is missing:"
        location=()
        [ "$region" = us-east-1 ] || location=(--create-bucket-configuration "LocationConstraint=$region")
        run aws s3api create-bucket --bucket "$bucket" --region "$region" "${location[@]}"
        run aws s3api put-public-access-block --bucket "$bucket" --region "$region" \
                --public-access-block-configuration \
                BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
fi
run aws s3 cp --only-show-errors --region "$region" "$zip" "s3://$bucket/$zip_key"
run aws s3 cp --only-show-errors --region "$region" "$agent_deb" "s3://$bucket/$prefix/$(basename "$agent_deb")"
run aws s3 cp --only-show-errors --region "$region" "$valheim_deb" "s3://$bucket/$prefix/$(basename "$valheim_deb")"

# --- the stacks ---------------------------------------------------------------------

say "deploying stack $bot_stack"
run aws cloudformation deploy --region "$region" --stack-name "$bot_stack" \
        --template-file "$top/cloudformation/sigrun-bot.yaml" \
        --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
        --parameter-overrides \
        "DiscordPublicKey=${cfg[DISCORD_PUBLIC_KEY]}" \
        "DiscordApplicationId=${cfg[DISCORD_APPLICATION_ID]}" \
        "OperatorRoleIds=${cfg[SIGRUN_OPERATOR_ROLES]}" \
        "AgentApiKey=$agent_key" \
        "CodeBucket=$bucket" \
        "CodeKey=$zip_key"

say "deploying stack $world_stack (world $world)"
run aws cloudformation deploy --region "$region" --stack-name "$world_stack" \
        --template-file "$top/cloudformation/sigrun-world.yaml" \
        --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
        --parameter-overrides \
        "WorldName=$world" \
        "ServerName=${cfg[SERVER_NAME]}" \
        "ServerPassword=${cfg[SERVER_PASSWORD]}" \
        "Public=${cfg[SERVER_PUBLIC]}" \
        "Crossplay=${cfg[SERVER_CROSSPLAY]}" \
        "IdleTimeout=${cfg[IDLE_TIMEOUT]}" \
        "DiscordWebhookUrl=${cfg[DISCORD_WEBHOOK]}" \
        "AgentApiKey=$agent_key" \
        "InstanceType=${cfg[INSTANCE_TYPE]}" \
        "VolumeSize=${cfg[VOLUME_SIZE]}" \
        "UseSpot=${cfg[USE_SPOT]}" \
        "HostedZoneId=${cfg[HOSTED_ZONE_ID]}" \
        "RecordName=${cfg[RECORD_NAME]}" \
        "ArtifactBucket=$bucket" \
        "ArtifactPrefix=$prefix" \
        "AgentPackage=$(basename "$agent_deb")" \
        "ValheimPackage=$(basename "$valheim_deb")"

query="Stacks[0].Outputs[?OutputKey=='InteractionsEndpointUrl'].OutputValue"
show aws cloudformation describe-stacks --region "$region" --stack-name "$bot_stack" --query "$query" --output text
if $dry_run; then
        url=https://EXAMPLE.lambda-url.$region.on.aws/
else
        url=$(aws cloudformation describe-stacks --region "$region" --stack-name "$bot_stack" \
                --query "$query" --output text)
fi

cat <<EOF

Interactions Endpoint URL:
  $url

Next steps:
  1. Register the slash commands with Discord:
       sigrun register   (with DISCORD_APPLICATION_ID and your bot token set; see sigrun --help)
  2. Paste the URL above into the Discord Developer Portal, your application,
     General Information > Interactions Endpoint URL, and save.
  3. In Discord, type /start-server. The world "$world" stops by itself after
     ${cfg[IDLE_TIMEOUT]} with nobody playing.
EOF

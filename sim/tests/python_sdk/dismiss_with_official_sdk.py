#!/usr/bin/env python3
"""Dismiss a meeting on a running tencent-meeting simulator with the official, unchanged Python SDK.

The SDK (PyPI `wemeet-openapi-sdk-python`, import name `wemeet_openapi`) is used through its public
API only: `wemeet_openapi.Client` with an `xhttp.Client` pointed at the simulator's host and port
over plain http, the meeting-control API's `v1_meetings_meeting_id_dismiss_post`, and a fresh
`JWTAuthenticator` (enterprise) or `OAuth2Authenticator` per request (one authenticator object
reuses its first nonce and signature, which the service refuses as a replay).

The SDK raises on the documented EMPTY success body (it parses the body as JSON). So either:
- run the simulator with its `{}` switch (empty_object_success) and expect a clean success, or
- pass --empty-body-expected: the script then accepts exactly that failure (an SDK ClientException
  for an HTTP 200 whose body could not be translated) and relies on the check below.
Either way the script then asks the simulator's admin API (GET /_sim/meetings/{id}) whether the
meeting ended, exactly once, and exits 0 only if it did.

The SDK needs an SdkId: with sdk_id=None it fails before sending (it puts None in a header), so run
the simulator with an SdkId (e.g. 200000002) for the enterprise mode.

Example:
  python3 dismiss_with_official_sdk.py --base-url http://127.0.0.1:8080 --meeting-id 123 \
      --operator alice --app-id 200000001 --sdk-id 200000002 \
      --secret-id AKIDsimDEMO0000000000000000000000000 --secret-key simDEMOsecretKEYdoNotUseInProduction
"""

import argparse
import json
import sys
import urllib.parse
import urllib.request

import wemeet_openapi
from wemeet_openapi.core import constants, xhttp


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", required=True, help="the simulator, e.g. http://127.0.0.1:8080")
    p.add_argument("--meeting-id", required=True)
    p.add_argument("--operator", required=True, help="the creator's userid (enterprise) or open id (OAuth2.0)")
    p.add_argument("--app-id")
    p.add_argument("--sdk-id")
    p.add_argument("--secret-id")
    p.add_argument("--secret-key")
    p.add_argument("--oauth-token", help="use OAuth2.0 with this access token (and --open-id)")
    p.add_argument("--open-id")
    p.add_argument("--instance-id", type=int, default=1)
    p.add_argument("--reason-code", type=int, default=1)
    p.add_argument("--retrieve-code", type=int, default=0)
    p.add_argument(
        "--empty-body-expected",
        action="store_true",
        help="the simulator answers the documented empty body: accept the SDK's failure to parse it",
    )
    return p.parse_args()


def sdk_client(args):
    url = urllib.parse.urlparse(args.base_url)
    http = xhttp.Client(host=url.netloc, protocol=url.scheme, serializer=constants.DEFAULT_SERIALIZER)
    if args.oauth_token:
        return wemeet_openapi.Client(clt=http)
    return wemeet_openapi.Client(
        app_id=args.app_id,
        sdk_id=args.sdk_id,
        secret_id=args.secret_id,
        secret_key=args.secret_key,
        clt=http,
    )


def authenticator(args):
    # A fresh authenticator per request: the SDK keeps the nonce and signature of its first use.
    if args.oauth_token:
        return wemeet_openapi.OAuth2Authenticator(open_id=args.open_id, access_token=args.oauth_token).options_build()
    return wemeet_openapi.JWTAuthenticator().options_build()


def dismiss(args):
    client = sdk_client(args)
    body = wemeet_openapi.V1MeetingsMeetingIdDismissPostRequest(
        instanceid=args.instance_id,
        operator_id=args.operator,
        operator_id_type=2 if args.oauth_token else 1,
        reason_code=args.reason_code,
        reason_detail="dismissed by the official Python SDK",
        retrieve_code=args.retrieve_code,
        force_dismiss_meeting=1,
    )
    request = wemeet_openapi.ApiV1MeetingsMeetingIdDismissPostRequest(meeting_id=args.meeting_id, body=body)
    try:
        client.meeting_control_api.v1_meetings_meeting_id_dismiss_post(
            request=request, authenticator_options=[authenticator(args)]
        )
        return "success"
    except wemeet_openapi.ServiceException as e:
        print(f"the service refused the dismiss: {e}", file=sys.stderr)
        return None
    except wemeet_openapi.ClientException as e:
        text = str(e)
        # Exactly the SDK's known failure on the documented empty body: HTTP 200, untranslatable body.
        if args.empty_body_expected and "http status code: 200" in text and "translate" in text:
            return "empty body (the SDK raised on it, as it does on the documented success body)"
        print(f"the SDK failed: {text}", file=sys.stderr)
        return None


def meeting_view(args):
    url = f"{args.base_url.rstrip('/')}/_sim/meetings/{urllib.parse.quote(args.meeting_id)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def main():
    args = parse_args()
    outcome = dismiss(args)
    if outcome is None:
        return 1
    view = meeting_view(args)
    ended = view.get("status") == "MEETING_STATE_ENDED" and view.get("dismiss_count") == 1
    print(json.dumps({"sdk_outcome": outcome, "status": view.get("status"), "dismiss_count": view.get("dismiss_count")}))
    if not ended:
        print(f"the meeting did not end exactly once: {view}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Query parameters of the JSON API, checked: a bad value gets a 400 that says what is allowed,
never an empty 200 that looks like "nothing matched"."""
import re
from functools import wraps

from django.http import JsonResponse

from .arns import parse_arn, split_function_arn

ACCOUNT_ID = re.compile(r"^\d{12}$")
# CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128 in all.
STACK_NAME = re.compile(r"^[A-Za-z][-A-Za-z0-9]{0,127}$")
FUNCTION_ARN_FORM = "arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME"
ROLE_ARN_FORM = "arn:PARTITION:iam::ACCOUNT:role/NAME"


class BadParameter(Exception):
    def __init__(self, name, value, **allowed):
        super().__init__(name)
        self.payload = {"error": f"{name}={value!r} is not valid", "parameter": name, **allowed}


def answers_bad_parameters(view):
    """Turn a BadParameter raised while reading the query into a 400 JSON answer."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadParameter as exc:
            return JsonResponse(exc.payload, status=400)
    return wrapper


def _raw(request, name):
    return request.GET.get(name, "").strip()


def choice(request, name, allowed):
    """?name= from ``allowed`` (an enum or a collection of strings), or "" when absent."""
    value = _raw(request, name)
    values = sorted(str(item) for item in allowed)
    if value and value not in values:
        raise BadParameter(name, value, allowed=values)
    return value


def account(request, name="account"):
    """?account= as a 12-digit account id, or "" when absent."""
    value = _raw(request, name)
    if value:
        check_account(name, value)
    return value


def accounts(request, name="account"):
    """Every ?account= given (repeatable), each a 12-digit account id."""
    values = [value.strip() for value in request.GET.getlist(name)]
    for value in values:
        check_account(name, value)
    return values


def check_account(name, value):
    if not ACCOUNT_ID.match(value):
        raise BadParameter(name, value, expected="a 12-digit AWS account id")


def function_arn(name, value):
    """``value`` if it is a Lambda function ARN (qualified or not), else BadParameter."""
    if split_function_arn(value)[0] is None:
        raise BadParameter(name, value, expected=FUNCTION_ARN_FORM)
    return value


def role_arn(name, value):
    arn = parse_arn(value)
    if arn is None or arn.service != "iam" or not arn.resource.startswith("role/"):
        raise BadParameter(name, value, expected=ROLE_ARN_FORM)
    return value


def any_arn(name, value):
    if parse_arn(value) is None:
        raise BadParameter(name, value, expected="an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)")
    return value


def optional(request, name, check):
    """?name= passed through ``check(name, value)``, or "" when absent."""
    value = _raw(request, name)
    return check(name, value) if value else ""


def stack_name(name, value):
    if not STACK_NAME.match(value):
        raise BadParameter(name, value, expected="a CloudFormation stack name (a letter, then "
                                                 "letters, digits and hyphens)")
    return value

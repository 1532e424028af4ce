"""The demo's newer wiring: a function URL, an alias-targeted schedule and a moderation
state machine started by EventBridge."""
import json

from .common import FLAWS, tag_list

ASSUME = '{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "{}"}}, "Action": "sts:AssumeRole"}}]}}'


def _role(iam, name, service, description, statements, tags):
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME.format(service),
                          Description=description, Tags=tag_list(tags))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": statements}))
    return arn


def function_url(client, functions):
    """chat-status answers on a public function URL (see FLAWS: AuthType NONE, open to "*")."""
    lam = client("lambda")
    name = FLAWS["public_function_url"]
    url = lam.create_function_url_config(
        FunctionName=name, AuthType="NONE", InvokeMode="BUFFERED",
        Cors={"AllowOrigins": ["https://status.chat.example"], "AllowMethods": ["GET"], "MaxAge": 300})
    lam.add_permission(FunctionName=name, StatementId="function-url-public", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    return url["FunctionUrl"]


def alias_schedule(client, region, account, functions, tags):
    """A weekly report runs chat-cleanup through its ``live`` alias, permitted on the alias."""
    lam = client("lambda")
    events = client("events")
    version = lam.publish_version(FunctionName="chat-cleanup")["Version"]
    alias = lam.create_alias(FunctionName="chat-cleanup", Name="live", FunctionVersion=version,
                             Description="what the schedules run")["AliasArn"]
    rule = events.put_rule(Name="chat-weekly-report", ScheduleExpression="rate(7 days)", State="ENABLED",
                           Description="Weekly retention report", Tags=tag_list(tags("chat-ops")))["RuleArn"]
    events.put_targets(Rule="chat-weekly-report", Targets=[
        {"Id": "report", "Arn": alias, "Input": json.dumps({"report": True})}])
    lam.add_permission(FunctionName="chat-cleanup", Qualifier="live", StatementId="events-weekly-report",
                       Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule)
    return {"cleanup_alias": alias, "weekly_rule": rule}


def moderation(client, region, account, functions, tags):
    """Flagged messages start the chat-moderation state machine: look the message up, then in
    parallel wait for a moderator's answer and archive it."""
    iam = client("iam")
    machine_arn = f"arn:aws:states:{region}:{account}:stateMachine:chat-moderation"
    invoked = [functions[n] for n in ("chat-history", "chat-notify", "chat-cleanup")]
    role = _role(iam, "chat-moderation-sfn-role", "states.amazonaws.com", "Runs the moderation workflow",
                 [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": invoked}],
                 tags("chat-realtime"))
    events_role = _role(iam, "chat-moderation-events-role", "events.amazonaws.com",
                        "Lets EventBridge start moderation runs",
                        [{"Effect": "Allow", "Action": "states:StartExecution", "Resource": machine_arn}],
                        tags("chat-realtime"))
    definition = {
        "Comment": "Moderate a flagged chat message",
        "StartAt": "Load message",
        "States": {
            "Load message": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                             "Parameters": {"FunctionName": functions["chat-history"], "Payload.$": "$"},
                             "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 2}],
                             "Next": "Decide"},
            "Decide": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "Ask a moderator", "States": {"Ask a moderator": {
                    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": "chat-notify",
                                   "Payload": {"token.$": "$$.Task.Token", "message.$": "$"}},
                    "TimeoutSeconds": 86400, "End": True}}},
                {"StartAt": "Archive", "States": {"Archive": {
                    "Type": "Task", "Resource": functions["chat-cleanup"], "End": True}}},
            ]},
        },
    }
    sfn = client("stepfunctions")
    sfn.create_state_machine(name="chat-moderation", definition=json.dumps(definition), roleArn=role,
                             type="STANDARD",
                             tags=[{"key": k, "value": v} for k, v in tags("chat-realtime").items()])
    events = client("events")
    rule = events.put_rule(Name="chat-message-flagged", EventPattern=json.dumps(
        {"source": ["chat.moderation"], "detail-type": ["Message flagged"]}),
        Tags=tag_list(tags("chat-realtime")))["RuleArn"]
    events.put_targets(Rule="chat-message-flagged", Targets=[
        {"Id": "moderate", "Arn": machine_arn, "RoleArn": events_role}])
    return {"state_machine": machine_arn, "flagged_rule": rule}

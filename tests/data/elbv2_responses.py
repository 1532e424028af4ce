"""Canned ELBv2 responses for an ALB routing to Lambda target groups, plus odd shapes."""
import datetime

ACCOUNT = "123456789012"
REGION = "eu-west-1"
PREFIX = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
ALB_ARN = f"{PREFIX}:loadbalancer/app/web/50dc6c495c0c9188"
NLB_ARN = f"{PREFIX}:loadbalancer/net/tcp/6c495c0c918850dc"
LISTENER_ARN = f"{PREFIX}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
API_TG = f"{PREFIX}:targetgroup/api-fn/73e2d6bc24d8a067"
ADMIN_TG = f"{PREFIX}:targetgroup/admin-fn/0467ef3c8400ae65"
CANARY_TG = f"{PREFIX}:targetgroup/canary-fn/a1c3e4b5d6f70812"
INSTANCE_TG = f"{PREFIX}:targetgroup/web-ec2/9683b2d02a6cabee"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"

APPLICATION_LOAD_BALANCER = {
    "LoadBalancerArn": ALB_ARN,
    "DNSName": f"web-1234567890.{REGION}.elb.amazonaws.com",
    "CreatedTime": datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC),
    "LoadBalancerName": "web",
    "Scheme": "internet-facing",
    "VpcId": "vpc-3ac0fb5f",
    "State": {"Code": "active"},
    "Type": "application",
    "AvailabilityZones": [{"ZoneName": f"{REGION}a", "SubnetId": "subnet-8360a9e7"},
                          {"ZoneName": f"{REGION}b", "SubnetId": "subnet-b7d581c0"}],
    "SecurityGroups": ["sg-5943793c"],
    "IpAddressType": "ipv4",
}

NETWORK_LOAD_BALANCER = {"LoadBalancerArn": NLB_ARN, "LoadBalancerName": "tcp", "Type": "network",
                         "Scheme": "internal", "State": {"Code": "active"}}

LISTENER = {"ListenerArn": LISTENER_ARN, "LoadBalancerArn": ALB_ARN, "Port": 443, "Protocol": "HTTPS",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": API_TG}]}

LISTENER_WITHOUT_DEFAULT_RULE = {
    "ListenerArn": LISTENER_ARN, "LoadBalancerArn": ALB_ARN, "Port": 80, "Protocol": "HTTP",
    "DefaultActions": [{"Type": "forward", "TargetGroupArn": ADMIN_TG}]}

RULES = [
    {"RuleArn": f"{PREFIX}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
     "Priority": "10", "IsDefault": False,
     "Conditions": [
         {"Field": "path-pattern", "Values": ["/admin/*"], "PathPatternConfig": {"Values": ["/admin/*"]}},
         {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "POST"]}},
         {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Tenant", "Values": ["a*"]}},
         {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"},
                                                                    {"Value": "beta"}]}},
         {"Field": "host-header", "Values": ["admin.example.com"]},
     ],
     "Actions": [{"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {}},
                 {"Type": "forward", "Order": 2, "TargetGroupArn": ADMIN_TG}]},
    {"RuleArn": f"{PREFIX}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/0467ef3c8400ae65",
     "Priority": "20", "IsDefault": False,
     "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
     "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
         {"TargetGroupArn": API_TG, "Weight": 90}, {"TargetGroupArn": CANARY_TG, "Weight": 10}]}}]},
    {"RuleArn": f"{PREFIX}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/a1c3e4b5d6f70812",
     "Priority": "30", "IsDefault": False,
     "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/static/*"]}}],
     "Actions": [{"Type": "forward", "TargetGroupArn": INSTANCE_TG}]},
    {"RuleArn": f"{PREFIX}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/fixed",
     "Priority": "40", "IsDefault": False, "Conditions": [{"Field": "source-ip"}, "junk"],
     "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]},
    {"RuleArn": f"{PREFIX}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/default",
     "Priority": "default", "IsDefault": True, "Conditions": [],
     "Actions": [{"Type": "forward", "TargetGroupArn": API_TG}]},
]

TARGET_GROUPS = [
    {"TargetGroupArn": API_TG, "TargetGroupName": "api-fn", "TargetType": "lambda",
     "LoadBalancerArns": [ALB_ARN]},
    {"TargetGroupArn": ADMIN_TG, "TargetGroupName": "admin-fn", "TargetType": "lambda",
     "LoadBalancerArns": [ALB_ARN]},
    {"TargetGroupArn": CANARY_TG, "TargetGroupName": "canary-fn", "TargetType": "lambda",
     "LoadBalancerArns": [ALB_ARN]},
    {"TargetGroupArn": INSTANCE_TG, "TargetGroupName": "web-ec2", "TargetType": "instance",
     "Protocol": "HTTP", "Port": 80, "LoadBalancerArns": [ALB_ARN]},
]

TARGET_HEALTH = {
    API_TG: [{"Target": {"Id": f"{FN}:api"}, "TargetHealth": {"State": "healthy"}}],
    ADMIN_TG: [{"Target": {"Id": f"{FN}:admin:live"},
                "TargetHealth": {"State": "unavailable", "Reason": "Target.HealthCheckDisabled"}}],
    CANARY_TG: [{"Target": {"Id": "i-0123456789abcdef0", "Port": 80}, "TargetHealth": {"State": "healthy"}},
                {"Target": {}}, "junk"],
}

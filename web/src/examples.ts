// Ready-made hunting queries: the Zeek hunting queries of Microsoft's "Hunting with Zeek in Microsoft
// Defender" guidance, as published there (query text unchanged), for the Queries panel.

export interface Example { id: string; title: string; query: string }

export const EXAMPLES: Example[] = [
  {
    "id": "Q1",
    "title": "legacy signature query (NetworkSignatureInspected, deprecated SSH signature)",
    "query": "DeviceNetworkEvents  \n| where ActionType == \"NetworkSignatureInspected\"\n| extend AdditionalFields = todynamic(AdditionalFields)\n| where AdditionalFields.SignatureName == \"SSH\""
  },
  {
    "id": "Q2",
    "title": "SSH connections (the replacement of Q1)",
    "query": "DeviceNetworkEvents  \n| where ActionType == \"SshConnectionInspected\""
  },
  {
    "id": "Q3",
    "title": "which inspected action types exist",
    "query": "DeviceNetworkEvents\n| where ActionType contains 'ConnectionInspected'\n| distinct ActionType"
  },
  {
    "id": "Q4",
    "title": "rare user agents (T1071.001)",
    "query": "DeviceNetworkEvents\n| where ActionType == 'HttpConnectionInspected'\n| extend json = todynamic(AdditionalFields)\n| extend direction = tostring(json.direction), user_agent = tostring(json.user_agent)\n| where direction == 'Out'\n| summarize Devices = dcount(DeviceId) by user_agent\n| sort by Devices asc"
  },
  {
    "id": "Q5",
    "title": "which process used a suspicious user agent (join with ConnectionSuccess)",
    "query": "DeviceNetworkEvents\n| where Timestamp > ago(1h) and ActionType == \"HttpConnectionInspected\"\n| extend json = todynamic(AdditionalFields)\n| extend user_agent = tostring(json.user_agent)\n| where user_agent == \"TrickXYZ\"\n| project ActionType,AdditionalFields, LocalIP,LocalPort,RemoteIP,RemotePort, TimeKey = bin(Timestamp, 5m)\n| join kind = inner (\nDeviceNetworkEvents\n| where Timestamp > ago(1h) and ActionType == \"ConnectionSuccess\"\n| extend TimeKey = bin(Timestamp, 5m)) on LocalIP,RemoteIP,LocalPort,TimeKey\n| project DeviceId, ActionType, AdditionalFields, LocalIP,LocalPort,RemoteIP,RemotePort , InitiatingProcessId,InitiatingProcessFileName,TimeKey"
  },
  {
    "id": "Q6",
    "title": "file downloads over HTTP (T1105)",
    "query": "DeviceNetworkEvents\n| where ActionType == 'HttpConnectionInspected'\n| extend json = todynamic(AdditionalFields)\n| extend direction= tostring(json.direction), user_agent=tostring(json.user_agent), uri=tostring(json.uri)\n| where uri matches regex @\"\\.(?:dll|exe|zip|7z|ps1|ps|bat|sh)$\""
  },
  {
    "id": "Q7",
    "title": "SSH brute force (T1110, T1021.004)",
    "query": "DeviceNetworkEvents\n| where ActionType == 'SshConnectionInspected'\n| extend json = todynamic(AdditionalFields)\n| extend direction=tostring(json.direction), auth_attempts = toint(json.auth_attempts), auth_success=tostring(json.auth_success)\n| where auth_success=='false'\n| where auth_attempts > 3\n| summarize count() by LocalIP, RemoteIP\n| where count_ > 4\n| sort by count_ desc"
  },
  {
    "id": "Q8",
    "title": "SSH server/client pairs (T1046)",
    "query": "DeviceNetworkEvents\n| where  ActionType == \"SshConnectionInspected\"\n| extend json = todynamic(AdditionalFields)\n| project Server = tostring(json.server),Client = tostring(json.client)\n| distinct Server ,Client"
  },
  {
    "id": "Q9",
    "title": "high upload over ICMP (T1048, T1041)",
    "query": "DeviceNetworkEvents\n| where ActionType == \"IcmpConnectionInspected\"\n| extend json = todynamic(AdditionalFields)\n| extend Upload = tolong(json['orig_bytes']), Download = tolong(json['resp_bytes']), Direction = tostring(json.direction), Duration = tolong(json.duration)\n| where Direction == \"Out\" and Duration > 100 and Upload > 500000\n| top 10 by Upload\n| project RemoteIP, LocalIP, Upload = format_bytes(Upload, 2, \"MB\"), Download = format_bytes(Download, 2, \"MB\"),Direction,Duration,Timestamp,DeviceId,DeviceName"
  },
  {
    "id": "Q10",
    "title": "ping sweep (T1018, T1595)",
    "query": "DeviceNetworkEvents\n| where ActionType == \"IcmpConnectionInspected\"\n| extend json = todynamic(AdditionalFields)\n| extend Direction = json.direction\n| where Direction == \"Out\" and ipv4_is_private(RemoteIP)\n| summarize IpsList = make_set(RemoteIP) by DeviceId, bin(Timestamp, 10m)\n| where array_length(IpsList) > 5"
  },
  {
    "id": "Q11",
    "title": "processes that loaded ICMP libraries",
    "query": "DeviceImageLoadEvents\n| where FileName =~ \"icmp.dll\" or FileName =~ \"Iphlpapi.dll\""
  },
  {
    "id": "Q12",
    "title": "outbound TLS to public IPs with self-signed-looking certificates",
    "query": "DeviceNetworkEvents \n| where ActionType == \"SslConnectionInspected\"\n| extend AdditionalFields = todynamic(AdditionalFields)\n| extend issuer = tostring(AdditionalFields.issuer), direction = tostring(AdditionalFields.direction)\n| where direction == \"Out\" and not(ipv4_is_private(RemoteIP))\n| where AdditionalFields.issuer matches regex @\"CN=\\S+$\""
  },
  {
    "id": "Q13",
    "title": "TXT lookups answered by a DNS server that no managed device is configured to use",
    "query": "let knownDnsServers =\n DeviceNetworkInfo\n | where isnotempty( DnsAddresses)\n | mv-expand todynamic(DnsAddresses)\n | where DnsAddresses !in(\"::\", \"127.0.0.1\",\"0.0.0.0\")\n | distinct tostring(DnsAddresses);\nDeviceNetworkEvents\n| where ActionType == \"DnsConnectionInspected\"\n| extend AdditionalFields = todynamic(AdditionalFields)\n| extend Direction = tostring(AdditionalFields.direction), QueryType = tostring(AdditionalFields.qtype_name), Query = tostring(AdditionalFields.query), Answers = todynamic(AdditionalFields.answers)\n| where Direction == \"Out\" and QueryType == \"TXT\" and RemoteIP !in(knownDnsServers) and isnotempty(Answers)"
  },
  {
    "id": "Q14",
    "title": "NTLM password spraying against internet-facing devices",
    "query": "let devices = DeviceInfo\n|summarize arg_max(Timestamp, *) by DeviceId\n| where IsInternetFacing\n|distinct DeviceId;\nDeviceNetworkEvents\n| where ActionType == \"NtlmAuthenticationInspected\" and DeviceId in(devices)\n| extend AdditionalFields = todynamic(AdditionalFields)\n| extend Direction = tostring(AdditionalFields.direction),username = tostring(AdditionalFields.username), success = iff(isempty(AdditionalFields.success),  false, tobool(AdditionalFields.success))\n| where isnotempty( username) and not(success) and Direction == \"In\"\n| summarize Attempts = make_set(username) by SourceIP = LocalIP, bin(Timestamp, 10m),DeviceId\n| where array_length(Attempts) > 3"
  }
];

"""Small real-shaped export files for the ingestion tests (written to tmp_path)."""
AB_HEADER = ("vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\t"
             "vru_time\tq_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver")

# One line per README defect / mapping rule (line numbers in comments: header is line 1).
AB_ROWS = [
    # 2: served after 17 s in queue, handled 54 s; 08:00 local in winter = 06:00 UTC
    "AA0101\t1\t27997683\t2\tPS\t990101\t8:00:00\t8:00:06\t6\t8:00:06\t8:00:23\t17\tAGENT\t"
    "8:00:23\t8:01:17\t54\tMICHAL",
    # 3: hung up in the IVR (q_time 0), customer id 0
    "AA0101\t2\t0\t0\tPS\t990101\t8:10:00\t8:10:11\t11\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t"
    "0:00:00\t0\tNO_SERVER",
    # 4: abandoned in queue after 153 s
    "AA0101\t3\t9664491\t1\tPE\t990101\t8:20:31\t8:20:36\t5\t8:20:36\t8:23:09\t153\tHANG\t"
    "0:00:00\t0:00:00\t0\tNO_SERVER",
    # 5: PHANTOM (skipped)
    "AA0101\t4\t0\t0\tPS\t990101\t8:30:00\t8:30:05\t5\t0:00:00\t0:00:00\t0\tPHANTOM\t0:00:00\t"
    "0:00:00\t0\tNO_SERVER",
    # 6: AGENT with NO_SERVER (not agent-served, not offered)
    "AA0101\t5\t0\t0\tIN\t990101\t8:40:00\t8:40:09\t9\t0:00:00\t0:00:00\t0\tAGENT\t8:40:09\t"
    "8:40:15\t6\tNO_SERVER",
    # 7: negative vru_time (IVR exit before entry) then served; service starts 1 s before q_exit
    "AA0101\t6\t48820351\t2\tPS\t990101\t9:46:49\t9:45:56\t-53\t9:45:56\t9:46:59\t63\tAGENT\t"
    "9:46:58\t9:53:31\t394\tDORIT",
    # 8: named agent but ser_time 0
    "AA0101\t7\t111\t2\tNE\t990101\t10:00:00\t10:00:10\t10\t10:00:10\t10:00:20\t10\tAGENT\t"
    "10:00:20\t10:00:20\t0\tDORIT",
    # 9: HANG with ser_time > 0
    "AA0101\t8\t112\t1\tPS\t990101\t10:05:00\t10:05:10\t10\t10:05:10\t10:06:00\t50\tHANG\t"
    "10:06:00\t10:06:05\t5\tNO_SERVER",
    # 10: crosses midnight, very long wait (61,437 s would be over 17 h; here 5 h)
    "AA0101\t9\t113\t2\tPS\t990101\t23:50:00\t23:50:10\t10\t23:50:10\t4:50:10\t18000\tHANG\t"
    "0:00:00\t0:00:00\t0\tNO_SERVER",
    # 11: straight to an agent (no queue times), undocumented type AA
    "AA0102\t1\t0\t0\tAA\t990101\t11:00:00\t11:00:10\t10\t0:00:00\t0:00:00\t0\tAGENT\t"
    "11:00:09\t11:02:00\t111\tBASCH",
    # 12: a bad date (rejected with its line)
    "AA0102\t2\t0\t0\tPS\t991345\t11:00:00\t11:00:10\t10\t0:00:00\t0:00:00\t0\tHANG\t"
    "0:00:00\t0:00:00\t0\tNO_SERVER",
    # 13: DST start in Israel, 2 April 1999 02:00 → 03:00: 02:30 does not exist
    "AA0102\t3\t0\t0\tPS\t990402\t2:30:00\t2:30:10\t10\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t"
    "0:00:00\t0\tNO_SERVER",
    # 14: summer time: 12:00 local = 09:00 UTC
    "AA0102\t4\t0\t0\tPS\t990615\t12:00:00\t12:00:10\t10\t12:00:10\t12:00:40\t30\tAGENT\t"
    "12:00:40\t12:01:40\t60\tMICHAL",
    # 15: a bad outcome word
    "AA0102\t5\t0\t0\tPS\t990615\t12:00:00\t12:00:10\t10\t0:00:00\t0:00:00\t0\tBUSY\t"
    "0:00:00\t0:00:00\t0\tNO_SERVER",
    # 16: 11 January missing is a file-level defect; 3 January follows (not time ordered)
    "AA0102\t6\t0\t0\tPS\t990103\t9:00:00\t9:00:10\t10\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t"
    "0:00:00\t0\tNO_SERVER",
]


def ab_file(tmp_path, rows=None, name="ab.tsv"):
    path = tmp_path / name
    path.write_text(AB_HEADER + "\n" + "\n".join(AB_ROWS if rows is None else rows) + "\n")
    return path


# Asterisk queue_log: call 100 goes through two queues (transfer), call 101 abandons, call 102
# times out, a duplicated line, an out-of-order line, call 103 open at the end of the file.
QUEUE_LOG_1 = """\
1700000000|NONE|support|Agent/1001|ADDMEMBER|
1700000000|NONE|support|Agent/1002|ADDMEMBER|
1700000005|100|support|NONE|ENTERQUEUE||0201234567|1
1700000012|100|support|Agent/1001|RINGNOANSWER|5000
1700000020|100|support|Agent/1001|CONNECT|15|1700000005.1|3
1700000100|100|support|Agent/1001|BLINDTRANSFER|3000|default|15|80|1
1700000101|100|sales|NONE|ENTERQUEUE||0201234567|1
1700000111|100|sales|Agent/1002|CONNECT|10|1700000101.2|2
1700000111|100|sales|Agent/1002|CONNECT|10|1700000101.2|2
1700000400|100|sales|Agent/1002|COMPLETECALLER|10|289|1
1700000200|101|support|NONE|ENTERQUEUE||0207654321|1
1700000245|101|support|NONE|ABANDON|1|1|45
1700000300|102|support|NONE|ENTERQUEUE||0209999999|1
1700000300|NONE|support|Agent/1002|PAUSE|lunch
1700000360|NONE|support|Agent/1002|UNPAUSE|
1700000900|102|support|NONE|EXITWITHTIMEOUT|1|1|600
1700000950|103|support|NONE|ENTERQUEUE||0201111111|1
1700000960|103|support|Agent/1001|CONNECT|10|1700000950.3|2
1700003600|NONE|support|Agent/1001|REMOVEMEMBER|
"""
QUEUE_LOG_2 = """\
1700001200|103|support|Agent/1001|COMPLETEAGENT|10|240|1
1700001300|104|support|NONE|ENTERQUEUE||0202222222|1
1700001310|104|support|NONE|EXITWITHKEY|1|1|1|10
"""

CONNECT_LINES = [
    # first version of a voice contact, later superseded
    '{"ContactId": "c-1", "Channel": "VOICE", "InitiationMethod": "INBOUND", '
    '"InitiationTimestamp": "2026-03-02T09:00:00Z", "DisconnectTimestamp": '
    '"2026-03-02T09:01:00Z", "LastUpdateTimestamp": "2026-03-02T09:01:05Z", '
    '"Queue": {"Name": "BasicQueue", "EnqueueTimestamp": "2026-03-02T09:00:20Z", '
    '"DequeueTimestamp": "2026-03-02T09:01:00Z", "Duration": 40}}',
    # transfer chain: c-2 answered then transferred to c-3 answered in another queue
    '{"ContactId": "c-2", "NextContactId": "c-3", "Channel": "VOICE", "InitiationMethod": '
    '"INBOUND", "InitiationTimestamp": "2026-03-02T10:00:00Z", "DisconnectTimestamp": '
    '"2026-03-02T10:05:00Z", "LastUpdateTimestamp": "2026-03-02T10:05:10Z", "Queue": '
    '{"Name": "BasicQueue", "EnqueueTimestamp": "2026-03-02T10:00:30Z", "DequeueTimestamp": '
    '"2026-03-02T10:00:50Z", "Duration": 20}, "Agent": {"Username": "anna", '
    '"ConnectedToAgentTimestamp": "2026-03-02T10:00:50Z", "AgentInteractionDuration": 200, '
    '"CustomerHoldDuration": 30, "AfterContactWorkDuration": 45}}',
    '{"ContactId": "c-3", "InitialContactId": "c-2", "PreviousContactId": "c-2", "Channel": '
    '"VOICE", "InitiationMethod": "TRANSFER", "InitiationTimestamp": "2026-03-02T10:05:00Z", '
    '"DisconnectTimestamp": "2026-03-02T10:10:00Z", "LastUpdateTimestamp": '
    '"2026-03-02T10:10:30Z", "Queue": {"Name": "Billing", "EnqueueTimestamp": '
    '"2026-03-02T10:05:00Z", "DequeueTimestamp": "2026-03-02T10:06:00Z", "Duration": 60}, '
    '"Agent": {"Username": "ben", "ConnectedToAgentTimestamp": "2026-03-02T10:06:00Z", '
    '"AgentInteractionDuration": 220, "CustomerHoldDuration": 0, '
    '"AfterContactWorkDuration": 30}}',
    # a chat handled entirely in the flow (self-service)
    '{"ContactId": "c-4", "Channel": "CHAT", "InitiationMethod": "API", '
    '"InitiationTimestamp": "2026-03-02T11:00:00Z", "DisconnectTimestamp": '
    '"2026-03-02T11:02:00Z", "LastUpdateTimestamp": "2026-03-02T11:02:00Z"}',
    # the later version of c-1: now answered by an agent
    '{"ContactId": "c-1", "Channel": "VOICE", "InitiationMethod": "INBOUND", '
    '"InitiationTimestamp": "2026-03-02T09:00:00Z", "DisconnectTimestamp": '
    '"2026-03-02T09:04:00Z", "LastUpdateTimestamp": "2026-03-02T09:05:00Z", '
    '"Queue": {"Name": "BasicQueue", "EnqueueTimestamp": "2026-03-02T09:00:20Z", '
    '"DequeueTimestamp": "2026-03-02T09:01:00Z", "Duration": 40}, "Agent": {"Username": '
    '"anna", "ConnectedToAgentTimestamp": "2026-03-02T09:01:00Z", '
    '"AgentInteractionDuration": 170, "CustomerHoldDuration": 0, '
    '"AfterContactWorkDuration": 20}}',
    # not JSON
    'this is not json',
]

INTERVAL_CSV = """\
Date,Time,Split/Skill,ACD Calls Offered,ACD Calls,Aban Calls,Answered Within SL,Threshold,\
Talk Time,Hold Time,ACW Time,Max Delay
2026-03-02,09:00,Sales,40,35,5,30,20,6000,300,1500,95
2026-03-02,09:30,Sales,50,44,6,38,20,7000,200,1800,120
2026-03-02,09:00,Support,20,18,2,15,20,3000,0,800,60
2026-03-02,10:00,Support,abc,18,2,15,20,3000,0,800,60
"""

CHAT_CSV = """\
Conversation,Started,Accepted,Closed,Team,Agent,Status,Handle (s),Topic
ch-1,02/03/2026 09:00:05,02/03/2026 09:00:35,02/03/2026 09:10:00,Chat-EN,zoe,Resolved,565,billing
ch-2,02/03/2026 09:01:00,,02/03/2026 09:03:00,Chat-EN,,Missed,,billing
ch-3,02/03/2026 09:02:00,02/03/2026 09:02:10,02/03/2026 09:12:00,Chat-EN,yan,Resolved,590,
ch-4,31/02/2026 09:02:00,,,Chat-EN,,Missed,,
ch-5,02/03/2026 09:05:00,02/03/2026 09:05:20,02/03/2026 09:06:00,Chat-EN,zoe,Escalated,40,tech
"""
CHAT_MAPPING = {
    "columns": {"external_id": "Conversation", "arrived_at": "Started",
                "answered_at": "Accepted", "ended_at": "Closed", "queue": "Team",
                "agent": "Agent", "outcome": "Status", "talk_s": "Handle (s)",
                "contact_type": "Topic"},
    "datetime_format": "%d/%m/%Y %H:%M:%S",
    "channel": "chat", "queue_kind": "web",
    "outcome_values": {"Resolved": "handled", "Missed": "abandoned"},
}

IVR_CSV = """\
session_id,start,end,app,result
s-1,2026-03-02T08:00:00+00:00,2026-03-02T08:02:00+00:00,MainMenu,self-service
s-2,2026-03-02T08:01:00+00:00,2026-03-02T08:01:40+00:00,MainMenu,to-agent
s-3,2026-03-02T08:03:00+00:00,2026-03-02T08:03:10+00:00,MainMenu,hangup
s-4,2026-03-02T21:03:00+00:00,2026-03-02T21:03:30+00:00,MainMenu,closed
"""
IVR_MAPPING = {
    "columns": {"external_id": "session_id", "arrived_at": "start", "ended_at": "end",
                "queue": "app", "outcome": "result"},
    "queue_kind": "ivr",
    "outcome_values": {"self-service": "self_served", "to-agent": "handled",
                       "hangup": "abandoned", "closed": "error"},
}

SURVEY_CSV = """\
Response ID,Call ID,Submitted At,CSAT,NPS,Resolved,Comment
r-1,100,2026-03-02 10:00,5,10,yes,Great help
r-2,999,2026-03-02 10:05,2,3,no,=HYPERLINK("http://x")
r-3,101,2026-03-02 10:06,7,9,yes,out of range csat
"""

// What the patient reads: every refusal and failure code the terminal can
// meet (the core's §3 refusals, the hub's error replies, the devices', the
// session's own outcomes) as a plain sentence in Chinese and in English, and
// the names of the funds on the screen and the receipt. A code with no entry
// is a bug (test/unit/session-messages.test.ts checks every list); the
// fallback sends the patient to a staffed counter rather than show a code.

export interface Message {
  readonly zh: string;
  readonly en: string;
}

const counter: Message = { zh: '请到人工窗口办理', en: 'Please go to a staffed counter.' };

const table: Readonly<Record<string, readonly [string, string]>> = {
  // SETTLEMENT.md §3 refusals.
  invalid_input: ['结算数据有误，请到人工窗口核对', 'The bill data is not valid; please have it checked at a staffed counter.'],
  policy_not_found: ['参保地政策不支持本次结算，请到人工窗口办理', 'Your insured place does not cover this kind of visit here; please go to a staffed counter.'],
  institution_not_networked: ['本机构未开通异地就医直接结算', 'This institution is not networked for off-site direct settlement.'],
  filing_required: ['请先办理异地就医备案', 'File for off-site treatment first.'],
  filing_not_valid_on_date: ['您的异地就医备案不在有效期内', 'Your off-site treatment filing is not valid today.'],
  filing_area_mismatch: ['您备案的就医地不是本机构所在地', 'Your filing is for another area than this institution.'],
  institution_not_selected: ['本机构不在您备案选定的定点机构中', 'This institution is not among those you chose when filing.'],
  chronic_requires_long_term_filing: ['跨省门诊慢特病结算需办理长期异地备案', 'Chronic-disease care across provinces needs a long-term filing.'],
  chronic_not_qualified: ['您尚未取得该门诊慢特病待遇资格', 'You are not qualified for this chronic-disease benefit.'],
  chronic_not_opened_at_institution: ['本机构未开通该病种的跨省结算', 'This institution has not opened this disease for cross-provincial settlement.'],
  unknown_item: ['账单中有目录外项目，请到人工窗口核对', 'An item on your bill is not in the catalogue; please have it checked at a staffed counter.'],
  // The hub's error replies.
  internal: ['医保平台暂时无法处理，请稍后再试', 'The settlement platform cannot process this now; please try again shortly.'],
  malformed: ['通信数据有误，请稍后再试', 'A message was damaged on the line; please try again.'],
  schema_violation: ['通信数据有误，请稍后再试', 'A message was damaged on the line; please try again.'],
  unknown_type: ['终端版本与平台不符，请联系工作人员', 'This terminal and the platform do not match; please call staff.'],
  bad_signature: ['终端认证失败，请联系工作人员', 'The terminal could not be authenticated; please call staff.'],
  unknown_kid: ['终端认证失败，请联系工作人员', 'The terminal could not be authenticated; please call staff.'],
  wrong_direction: ['通信数据有误，请稍后再试', 'A message was damaged on the line; please try again.'],
  time_skew: ['终端时间不准，请联系工作人员', "The terminal's clock is wrong; please call staff."],
  replay_stale: ['通信超时，请重新操作', 'The exchange timed out; please start again.'],
  session_unknown: ['正在重新连接医保平台，请稍候', 'Reconnecting to the settlement platform; please wait.'],
  not_signed_in: ['正在重新连接医保平台，请稍候', 'Reconnecting to the settlement platform; please wait.'],
  busy: ['医保平台繁忙，请稍后再试', 'The settlement platform is busy; please try again shortly.'],
  person_not_found: ['未查询到您的参保信息', 'No insurance record was found for you.'],
  credential_invalid: ['凭证无效，请重新出示医保电子凭证或社保卡', 'This credential is not valid; please show your e-certificate or card again.'],
  bill_not_found: ['未查询到待结算费用，请到收费窗口确认', 'No bill is waiting for you; please ask at the billing counter.'],
  bill_changed: ['费用明细已变更，请重新结算', 'Your bill changed; please settle again.'],
  catalogue_version_unknown: ['目录正在更新，请稍后再试', 'The catalogue is being updated; please try again shortly.'],
  policy_version_unknown: ['政策正在更新，请稍后再试', 'The policy book is being updated; please try again shortly.'],
  result_mismatch: ['结算结果核对不一致，未扣费，请到人工窗口办理', 'The platform computed a different result: nothing was charged; please go to a staffed counter.'],
  settlement_not_found: ['未找到该笔结算', 'That settlement was not found.'],
  already_cancelled: ['该笔结算已撤销', 'That settlement was already cancelled.'],
  not_reversible: ['该笔交易不能冲正，请联系工作人员', 'That transaction cannot be reversed; please call staff.'],
  recon_period_invalid: ['对账日期有误', 'The reconciliation period is not valid.'],
  blob_not_found: ['目录文件不存在，请联系工作人员', 'The catalogue file is missing at the platform; please call staff.'],
  chunk_out_of_range: ['目录下载出错，请稍后再试', 'The catalogue download failed; please try again shortly.'],
  offline_limit_exceeded: ['离线结算超过限额，请到人工窗口办理', 'This offline settlement is over the offline limit; please go to a staffed counter.'],
  already_settled: ['该笔费用已结算，请勿重复结算', 'This bill has already been settled.'],
  key_rejected: ['终端密钥更新失败，请联系工作人员', "The terminal's key update was refused; please call staff."],
  // The devices.
  timeout: ['设备或网络无响应，本次未扣费', 'A device or the line did not answer: nothing was charged.'],
  cancelled: ['操作已取消，本次未扣费', 'Cancelled: nothing was charged.'],
  port_error: ['设备连接故障，请联系工作人员', 'A device is disconnected; please call staff.'],
  protocol_error: ['设备通信异常，请重试', 'A device answered strangely; please try again.'],
  no_card: ['请插入社保卡', 'Please insert your social-security card.'],
  card_removed: ['读卡时卡片被拔出，请重新插卡', 'The card was pulled out while reading; please insert it again.'],
  card_unreadable: ['无法读取卡片，请确认插卡方向', 'The card cannot be read; please check it is inserted the right way.'],
  card_data_invalid: ['卡片信息无法识别，请到人工窗口办理', 'The card data cannot be read; please go to a staffed counter.'],
  file_not_found: ['卡片信息无法识别，请到人工窗口办理', 'The card data cannot be read; please go to a staffed counter.'],
  security_not_satisfied: ['请先输入密码', 'Please enter your PIN first.'],
  pin_wrong: ['密码错误，请重新输入', 'Wrong PIN; please try again.'],
  pin_blocked: ['密码已锁定，请到社保经办机构解锁', 'Your PIN is blocked; please have it unblocked at a social-security office.'],
  card_error: ['卡片异常，请到人工窗口办理', 'The card reported an error; please go to a staffed counter.'],
  paper_out: ['打印机缺纸，结算已完成，请到人工窗口补打凭证', 'The printer is out of paper. Your settlement is done; please get your receipt at a staffed counter.'],
  cover_open: ['打印机盖未关，结算已完成，请联系工作人员', 'The printer cover is open. Your settlement is done; please call staff.'],
  printer_error: ['打印机故障，结算已完成，请到人工窗口补打凭证', 'The printer failed. Your settlement is done; please get your receipt at a staffed counter.'],
  receipt_too_long: ['凭证过长，请到人工窗口打印明细', 'The receipt is too long to print here; please get it at a staffed counter.'],
  // The hub client and the session.
  journal_full: ['终端存储已满，请联系工作人员', "The terminal's journal is full; please call staff."],
  queue_full: ['终端暂停服务，请联系工作人员', 'The terminal is out of service; please call staff.'],
  queue_not_empty: ['正在上传待处理交易，请稍候', 'Uploading pending transactions; please wait.'],
  sync_invalid: ['目录更新失败，请联系工作人员', 'The catalogue update failed; please call staff.'],
  sync_corrupt: ['目录更新失败，请联系工作人员', 'The catalogue update failed; please call staff.'],
  hub_unreachable: ['医保平台无法连接，本次未扣费', 'The settlement platform cannot be reached: nothing was charged.'],
  offline_over_limit: ['医保平台无法连接，本次费用超过离线结算限额，未扣费', 'The platform cannot be reached and this bill is over the offline limit: nothing was charged.'],
  offline_not_allowed: ['医保平台无法连接，本类就诊不能离线结算，未扣费', 'The platform cannot be reached and this kind of visit cannot settle offline: nothing was charged.'],
  reversed: ['结算未完成，已自动冲正，本次未扣费', 'The settlement did not complete and was reversed: nothing was charged.'],
  session_timeout: ['操作超时，本次未扣费', 'You took too long: nothing was charged.'],
  patient_cancelled: ['您已取消，本次未扣费', 'You cancelled: nothing was charged.'],
  catalogue_missing: ['终端目录未就绪，请联系工作人员', "The terminal's catalogue is not ready; please call staff."],
};

/** The plain message for a code; the staffed-counter fallback for a code with no entry. */
export function messageFor(code: string): Message {
  const entry = Object.hasOwn(table, code) ? table[code] : undefined;
  return entry === undefined ? counter : { zh: entry[0], en: entry[1] };
}

/** Whether a code has its own message (tests check every code list against this). */
export function hasMessage(code: string): boolean {
  return Object.hasOwn(table, code);
}

/** The funds of setldetail (SETTLEMENT.md §9) by fund_pay_type. */
const funds: Readonly<Record<string, readonly [string, string]>> = {
  '310100': ['职工基本医疗保险统筹基金', "Employees' basic insurance pool"],
  '390100': ['城乡居民基本医疗保险基金', "Residents' basic insurance fund"],
  '330100': ['职工大额医疗费用补助', "Employees' large-amount supplement"],
  '390200': ['城乡居民大病保险', "Residents' critical-illness insurance"],
  '610100': ['医疗救助基金', 'Medical assistance'],
  '310200': ['职工个人账户', 'Personal account'],
};

export function fundName(fundPayType: string): Message {
  const entry = Object.hasOwn(funds, fundPayType) ? funds[fundPayType] : undefined;
  return entry === undefined ? { zh: fundPayType, en: fundPayType } : { zh: entry[0], en: entry[1] };
}

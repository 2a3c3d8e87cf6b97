-- Drives Neovim's own LSP client against fastapi-ls, after the README's configuration ran as
-- init.lua.  tests/test_neovim.py starts `nvim --headless -u init.lua -i NONE -S driver.lua`
-- with these environment variables:
--
--   FASTAPI_LS_NVIM_FILE      the FastAPI module to open (in a workspace with a pyproject.toml)
--   FASTAPI_LS_NVIM_OUT       where to write the observations (JSON)
--   FASTAPI_LS_NVIM_CONTEXT7  base URL of the local Context7 test server
--   FASTAPI_LS_NVIM_CACHE     the Context7 cache directory (documents are written below it)
--   FASTAPI_LS_NVIM_TEST_FILE a test module of the same workspace calling `client.get("/")`
--
-- The script types into the buffer as a user does (keys go through Neovim's input queue, so
-- it runs as a coroutine that yields to the main loop while keys, requests and timers are
-- processed).  Every position sent to the server is computed by Neovim from the cursor,
-- every wait is bounded, and the script always ends with `qa!`, having written what it saw
-- (and the first error, with the step it happened in) to the JSON file.

local TIMEOUT = 10000 -- ms, for each wait
local api = vim.api
local out = { steps = {}, messages = {}, progress = {}, show_document = {} }
local driver -- the coroutine

local function finish()
  local written, write_error = pcall(function()
    local file = assert(io.open(assert(os.getenv('FASTAPI_LS_NVIM_OUT')), 'w'))
    file:write(vim.json.encode(out))
    file:close()
  end)
  if not written then
    io.stderr:write('driver.lua: cannot write the observations: ' .. tostring(write_error) .. '\n')
  end
  vim.cmd('qa!')
end

local function resume(...)
  local ok, err = coroutine.resume(driver, ...)
  if not ok then
    out.error = debug.traceback(driver, tostring(err))
    finish()
  elseif coroutine.status(driver) == 'dead' then
    finish()
  end
end

--- Yields until `condition()` is true (polled from the main loop); errors after TIMEOUT.
local function wait(what, condition)
  local deadline = vim.uv.now() + TIMEOUT
  local timer = assert(vim.uv.new_timer())
  timer:start(
    0,
    15,
    vim.schedule_wrap(function()
      if timer:is_closing() then
        return
      end
      local ok, done = pcall(condition)
      if (ok and done) or not ok or vim.uv.now() > deadline then
        timer:stop()
        timer:close()
        resume(ok and done, not ok and done or nil)
      end
    end)
  )
  local done, err = coroutine.yield()
  if err then
    error(err)
  end
  if not done then
    error('timed out waiting for ' .. what)
  end
end

--- Types `keys` (with <Esc>-style notation) as if from the keyboard.
local function type_keys(keys)
  api.nvim_feedkeys(api.nvim_replace_termcodes(keys, true, false, true), 'nt', false)
end

local function step(name)
  table.insert(out.steps, name)
end

--- A request through Neovim's client, for the current buffer; yields until it is answered.
local function request(client, method, params)
  local answered, response
  client:request(method, params, function(err, result)
    answered, response = true, { err = err, result = result }
  end, api.nvim_get_current_buf())
  wait(method .. ' to be answered', function()
    return answered
  end)
  if response.err then
    error(method .. ': ' .. vim.inspect(response.err))
  end
  return response.result
end

local function buffer_text(bufnr)
  return table.concat(api.nvim_buf_get_lines(bufnr, 0, -1, true), '\n') .. '\n'
end

local function find_row(needle)
  for row, line in ipairs(api.nvim_buf_get_lines(0, 0, -1, true)) do
    if line:find(needle, 1, true) then
      return row
    end
  end
  error(needle .. ' is not in the buffer')
end

--- Puts the (normal mode) cursor on the byte `offset` of `needle` in line `row` (1-based).
local function put_cursor(row, needle, offset)
  local line = api.nvim_buf_get_lines(0, row - 1, row, true)[1]
  local start = assert(line:find(needle, 1, true), needle .. ' not on line ' .. row)
  api.nvim_win_set_cursor(0, { row, start - 1 + offset })
end

local function to_normal_mode()
  type_keys('<Esc>')
  wait('normal mode', function()
    return api.nvim_get_mode().mode == 'n'
  end)
  if vim.snippet.active() then
    vim.snippet.stop()
  end
end

--- textDocument/completion at the cursor: what Neovim sent, and the items it got.
local function complete(client)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local result = request(client, 'textDocument/completion', params)
  local items = {}
  for _, item in ipairs(result and (result.items or result) or {}) do
    table.insert(items, {
      label = item.label,
      snippet = type(item.data) == 'table' and item.data.snippet or vim.NIL,
      insertTextFormat = item.insertTextFormat or vim.NIL,
      insertTextMode = item.insertTextMode or vim.NIL,
      textEdit = item.textEdit or vim.NIL,
    })
  end
  return {
    position = params.position,
    line = api.nvim_get_current_line(),
    mode = api.nvim_get_mode().mode,
    items = items,
  }
end

--- In insert mode: opens Neovim's completion menu with <C-x><C-o> (the omnifunc Neovim sets
--- for LSP buffers), chooses the entry whose LSP item satisfies `wanted`, and lets Neovim
--- apply it (its CompleteDone handler: edit, snippet expansion, additional edits).  Returns
--- the buffer before and after, and the LSP item chosen.
local function accept(client, wanted, applied)
  local bufnr = api.nvim_get_current_buf()
  local before = buffer_text(bufnr)
  local cursor = api.nvim_win_get_cursor(0)
  type_keys('<C-x><C-o>')
  local entries
  wait('the completion menu', function()
    entries = vim.fn.complete_info({ 'items' }).items
    return #entries > 0
  end)
  local chosen, index
  for i, entry in ipairs(entries) do
    local lsp = vim.tbl_get(entry, 'user_data', 'nvim', 'lsp') or {}
    if lsp.client_id == client.id and wanted(lsp.completion_item) then
      chosen, index = lsp.completion_item, i - 1
      break
    end
  end
  if not chosen then
    error('not in the completion menu: ' .. vim.inspect(vim.tbl_map(function(entry)
      return entry.abbr
    end, entries)))
  end
  api.nvim_select_popupmenu_item(index, true, true, {})
  wait('the completion to be applied', function()
    return vim.fn.pumvisible() == 0 and applied(bufnr)
  end)
  local result = {
    before = before,
    cursor = cursor,
    item = chosen,
    after = buffer_text(bufnr),
    snippet_active = vim.snippet.active(),
  }
  to_normal_mode()
  return result
end

local function main()
  local file = assert(os.getenv('FASTAPI_LS_NVIM_FILE'))
  local cache = assert(os.getenv('FASTAPI_LS_NVIM_CACHE'))

  -- The test's Context7 settings on top of the README's configuration (vim.lsp.config merges).
  vim.lsp.config('fastapi_ls', {
    init_options = {
      context7 = {
        baseUrl = assert(os.getenv('FASTAPI_LS_NVIM_CONTEXT7')),
        cacheDir = cache,
        timeout = 8,
      },
    },
  })

  vim.cmd.edit(vim.fn.fnameescape(file))
  local bufnr = api.nvim_get_current_buf()
  out.filetype = vim.bo[bufnr].filetype
  step('opened')

  local client
  wait('fastapi_ls to attach', function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = 'fastapi_ls' })[1]
    return client ~= nil and client.initialized == true
  end)
  out.offset_encoding = client.offset_encoding
  out.root_dir = client.root_dir
  out.cmd = client.config.cmd
  out.init_options = client.config.init_options
  out.omnifunc = vim.bo[bufnr].omnifunc
  -- The README's LspAttach autocmd turned Neovim's completion on for the buffer.
  local group_ok, completion_autocmds = pcall(api.nvim_get_autocmds, {
    group = 'nvim.lsp.completion_' .. bufnr,
    buffer = bufnr,
  })
  out.completion_events = {}
  for _, autocmd in ipairs(group_ok and completion_autocmds or {}) do
    table.insert(out.completion_events, autocmd.event)
  end
  step('attached')

  -- Routes: searched by path once the workspace index is built (before any edit).
  local symbols = {}
  for _ = 1, 100 do
    symbols = request(client, 'workspace/symbol', { query = 'ünï' }) or {}
    if #symbols > 0 then
      break
    end
    local pause = vim.uv.now() + 50
    wait('a pause', function()
      return vim.uv.now() >= pause
    end)
  end
  out.route_symbols = symbols
  step('route search')

  -- Module level: a new line under a line with non-ASCII text.
  api.nvim_win_set_cursor(0, { find_row('GREETING = '), 0 })
  type_keys('o')
  wait('insert mode on a new line', function()
    return api.nvim_get_mode().mode == 'i' and api.nvim_get_current_line() == ''
  end)
  out.module = complete(client)
  to_normal_mode()
  step('module completion')

  -- A model body: a new line under a field whose default is non-ASCII, then `val` typed.
  api.nvim_win_set_cursor(0, { find_row('note: str = '), 0 })
  type_keys('o')
  wait('insert mode on a new indented line', function()
    return api.nvim_get_mode().mode == 'i' and api.nvim_get_current_line():match('^%s*$')
  end)
  out.model_body_empty = complete(client)
  local indent = api.nvim_get_current_line()
  type_keys('val')
  wait('val to be typed', function()
    return api.nvim_get_current_line() == indent .. 'val'
  end)
  out.model_body = complete(client)
  to_normal_mode()
  step('model body completion')

  -- response_model= on a line with emoji and accents before the cursor: Neovim places the
  -- chosen item with its own utf-8 arithmetic from the item's textEdit.
  local row = find_row('response_model=It)')
  put_cursor(row, 'response_model=It)', #'response_model=I')
  type_keys('a')
  wait('insert mode after It', function()
    return api.nvim_get_mode().mode == 'i'
  end)
  out.response_model = complete(client)
  out.response_model.accepted = accept(client, function(item)
    return item.label == 'Item'
  end, function(buf)
    return api.nvim_buf_get_lines(buf, row - 1, row, true)[1]:find('response_model=Item)', 1, true)
  end)
  out.response_model.applied_line = api.nvim_buf_get_lines(bufnr, row - 1, row, true)[1]
  step('response_model completion')

  -- Hover on Depends, after a non-ASCII parameter name on the same line.
  put_cursor(find_row('Depends(get_db)'), 'Depends(get_db)', 2)
  local hover_params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local hover = request(client, 'textDocument/hover', hover_params)
  out.hover = {
    position = hover_params.position,
    contents = hover and hover.contents or vim.NIL,
  }
  -- ...and the window `K` opens for it.
  vim.lsp.buf.hover()
  local float
  wait('the hover window', function()
    for _, win in ipairs(api.nvim_list_wins()) do
      if api.nvim_win_get_config(win).relative ~= '' then
        float = win
        return true
      end
    end
    return false
  end)
  out.hover.window_lines = api.nvim_buf_get_lines(api.nvim_win_get_buf(float), 0, -1, true)
  api.nvim_win_close(float, true)
  step('hover')

  -- Code actions on the WebSocket connection manager.
  put_cursor(find_row('manager = ConnectionManager()'), 'ConnectionManager()', 4)
  local range_params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  range_params.context = { diagnostics = {}, triggerKind = 1 }
  out.code_actions = {}
  for _, action in ipairs(request(client, 'textDocument/codeAction', range_params) or {}) do
    table.insert(out.code_actions, {
      title = action.title,
      kind = action.kind or vim.NIL,
      command = action.command and action.command.command or vim.NIL,
    })
  end
  step('code actions')

  -- Choose the Context7 action as a user does (`gra`): the server fetches the docs and asks
  -- Neovim to show the generated document.
  local title = 'Context7: WebSocket connection manager and broadcast (FastAPI docs)'
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      return action.title == title
    end,
  })
  local documents = vim.fs.joinpath(vim.fs.normalize(cache), 'documents') .. '/'
  wait('the Context7 document to be opened', function()
    return vim.startswith(api.nvim_buf_get_name(0), documents)
  end)
  out.document = {
    name = api.nvim_buf_get_name(0),
    lines = api.nvim_buf_get_lines(0, 0, -1, true),
    filetype = vim.bo.filetype,
  }
  wait('the progress to end', function()
    return #out.progress > 0 and out.progress[#out.progress].kind == 'end'
  end)
  out.buffers = {}
  for _, buf in ipairs(api.nvim_list_bufs()) do
    if vim.bo[buf].buflisted then
      table.insert(out.buffers, api.nvim_buf_get_name(buf))
    end
  end
  step('document opened')

  -- Back in the module: accept snippets from Neovim's completion menu.
  vim.cmd.buffer(bufnr)
  api.nvim_win_set_cursor(0, { find_row('GREETING = '), 0 })
  type_keys('oget')
  wait('get to be typed', function()
    return api.nvim_get_current_line() == 'get'
  end)
  out.module_accepted = accept(client, function(item)
    return type(item.data) == 'table' and item.data.snippet == 'route-get-item'
  end, function()
    return vim.snippet.active()
  end)
  step('module snippet accepted')

  row = find_row(indent .. 'val')
  api.nvim_win_set_cursor(0, { row, #indent + 2 })
  type_keys('a')
  wait('insert mode after val', function()
    return api.nvim_get_mode().mode == 'i'
  end)
  out.model_body_accepted = accept(client, function(item)
    return type(item.data) == 'table' and item.data.snippet == 'model-field-validator'
  end, function()
    return vim.snippet.active()
  end)
  step('model body snippet accepted')

  -- Typing a trigger character opens the menu by itself (the README's `autotrigger`).
  api.nvim_win_set_cursor(0, { api.nvim_buf_line_count(0), 0 })
  type_keys('o@')
  local entries
  wait('the menu to open after @', function()
    entries = vim.fn.complete_info({ 'items' }).items
    return api.nvim_get_current_line() ~= '' and #entries > 0
  end)
  out.autotrigger = vim.tbl_map(function(entry)
    return vim.tbl_get(entry, 'user_data', 'nvim', 'lsp', 'completion_item', 'label') or vim.NIL
  end, entries)
  type_keys('<C-e>')
  to_normal_mode()
  step('autotrigger')

  -- Routes: a test module's client call completes with the project's paths.
  vim.cmd.edit(vim.fn.fnameescape(assert(os.getenv('FASTAPI_LS_NVIM_TEST_FILE'))))
  local test_buffer = api.nvim_get_current_buf()
  wait('fastapi_ls to attach to the test module', function()
    return #vim.lsp.get_clients({ bufnr = test_buffer, name = 'fastapi_ls' }) > 0
  end)
  put_cursor(find_row('client.get("/")'), '"/"', 2)
  out.path_completion = complete(client)
  step('path completion')
end

-- What the server tells the user, and its progress, as Neovim receives them.
local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, params, ctx)
  table.insert(out.messages, params.message)
  return show_message(err, params, ctx)
end
local show_document = vim.lsp.handlers['window/showDocument']
vim.lsp.handlers['window/showDocument'] = function(err, params, ctx)
  local result = show_document(err, params, ctx)
  table.insert(out.show_document, { params = params, result = result })
  return result
end
api.nvim_create_autocmd('LspProgress', {
  callback = function(event)
    local value = event.data.params.value
    table.insert(out.progress, { kind = value.kind, title = value.title, message = value.message })
  end,
})

driver = coroutine.create(main)
resume()
